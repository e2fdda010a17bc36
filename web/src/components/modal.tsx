// A modal window: role="dialog" labelled by its title, focus kept inside, Esc closes, focus returned on close.

import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { CloseIcon } from './icons';

export interface ModalProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  size?: 'sm' | 'md' | 'lg' | 'xl';
  /** Selector of the element to focus first; the first focusable one otherwise. */
  initialFocus?: string;
  className?: string;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Open windows, most recent last: keys pressed outside every window (focus lost to the page) go to the top one. */
const stack: Array<{ root: () => HTMLElement | null; close: () => void }> = [];

function onDocumentKeyDown(e: globalThis.KeyboardEvent): void {
  const top = stack[stack.length - 1];
  const root = top?.root();
  if (!top || !root) return;
  const target = e.target instanceof Node ? e.target : null;
  // Keys inside a window are handled by that window.
  if (target && target instanceof Element && target.closest('[role="dialog"]')) return;
  if (e.key === 'Escape') {
    e.preventDefault();
    top.close();
  } else if (e.key === 'Tab') {
    // A button that disabled itself dropped focus to the page: bring it back into the window.
    e.preventDefault();
    (focusables(root)[0] ?? root).focus();
  }
}

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute('inert') && el.getAttribute('aria-hidden') !== 'true');
}

export function Modal({ title, onClose, children, footer, size = 'md', initialFocus, className }: ModalProps) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const entry = { root: () => ref.current, close: () => onCloseRef.current() };
    stack.push(entry);
    if (stack.length === 1) document.addEventListener('keydown', onDocumentKeyDown);
    return () => {
      stack.splice(stack.indexOf(entry), 1);
      if (stack.length === 0) document.removeEventListener('keydown', onDocumentKeyDown);
    };
  }, []);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const root = ref.current;
    if (root) {
      const first =
        (initialFocus && root.querySelector<HTMLElement>(initialFocus)) ||
        focusables(root.querySelector('.modal-body') ?? root).filter((el) => !el.closest('.terminal-view'))[0] ||
        focusables(root.querySelector('.modal-footer') ?? root)[0] ||
        root;
      first.focus();
    }
    return () => {
      // Give focus back to what opened the window (the icon button), so keyboard users keep their place.
      if (previous && document.contains(previous)) previous.focus();
    };
    // Focus is placed once, when the window opens.
  }, []);

  // Capture phase: a terminal inside the window (xterm.js) would otherwise swallow Escape.
  function onKeyDownCapture(e: KeyboardEvent<HTMLDivElement>) {
    // Only the window that holds focus closes; a window it opened (a portal, not a DOM child) handles its own.
    if (e.key !== 'Escape' || !ref.current?.contains(e.target as Node)) return;
    e.stopPropagation();
    e.preventDefault();
    onCloseRef.current();
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key !== 'Tab' || !ref.current) return;
    const items = focusables(ref.current);
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (e.shiftKey && (active === first || active === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return createPortal(
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        className={`modal modal-${size}${className ? ` ${className}` : ''}`}
        onKeyDown={onKeyDown}
        onKeyDownCapture={onKeyDownCapture}
      >
        <header className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button modal-close" aria-label="Close window" title="Close" onClick={onClose}>
            <CloseIcon />
          </button>
        </header>
        <div className="modal-body">{children}</div>
        {footer && <footer className="modal-footer">{footer}</footer>}
      </div>
    </div>,
    document.body,
  );
}
