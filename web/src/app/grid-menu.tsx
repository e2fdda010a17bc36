// The Grid Menu (nine squares, upper-left): the module picker.

import { useEffect, useRef, useState } from 'react';
import { GridIcon } from '../components/icons';
import { MODULES, visibleGroups, type Module } from './menu';
import { navigate } from './router';

export function GridMenu({ current, permissions }: { current: Module; permissions: readonly string[] }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const modules = MODULES.filter((m) => visibleGroups(m, permissions).length > 0);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => !root.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener('mousedown', close);
    root.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  return (
    <div className="grid-menu" ref={root} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button type="button" className="grid-button" aria-label="Grid Menu" title="Grid Menu" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((v) => !v)}>
        <GridIcon size={20} />
      </button>
      {open && (
        <div className="grid-popover" role="menu" aria-label="Modules">
          {modules.map((m) => (
            <button
              key={m.id}
              type="button"
              role="menuitem"
              className={`module-tile${m.id === current.id ? ' is-current' : ''}`}
              onClick={() => {
                setOpen(false);
                const first = visibleGroups(m, permissions)[0]?.entries[0];
                navigate(first?.to ?? m.home);
              }}
            >
              <span className={`module-icon module-${m.id}`} aria-hidden="true">
                {m.id === 'pam' ? 'PAM' : 'ADM'}
              </span>
              <span className="module-text">
                <strong>{m.label}</strong>
                <small>{m.description}</small>
              </span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
