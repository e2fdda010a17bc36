// A read-only xterm.js screen that mirrors a remote terminal at its exact size (cols×rows), scaled to fit the window.

import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

/** What a mirror needs from the screen: exact size, output, and a clean slate. */
export interface TerminalSink {
  resize(cols: number, rows: number): void;
  write(data: string): void;
  reset(): void;
}

const MAX_FONT = 15;
const MIN_FONT = 8;
/** Cell width / font size of the monospace fonts used (about 0.6). */
const CELL_RATIO = 0.6;

export interface TerminalViewProps {
  /** Largest width in pixels the screen may take. */
  maxWidth: number;
  label: string;
}

export const TerminalView = forwardRef<TerminalSink, TerminalViewProps>(function TerminalView({ maxWidth, label }, ref) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const maxWidthRef = useRef(maxWidth);
  maxWidthRef.current = maxWidth;

  useEffect(() => {
    const t = new Terminal({
      disableStdin: true,
      cursorBlink: false,
      scrollback: 2000,
      fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      allowProposedApi: false,
      theme: { background: '#0d1117', foreground: '#d7dde5', cursor: '#8fb7ff' },
    });
    t.open(host.current!);
    term.current = t;
    return () => {
      term.current = null;
      t.dispose();
    };
  }, []);

  useImperativeHandle(
    ref,
    () => ({
      resize(cols, rows) {
        const t = term.current;
        if (!t || cols < 1 || rows < 1) return;
        // The mirror keeps the session's size; only the font adapts so wide terminals still fit.
        const font = Math.max(MIN_FONT, Math.min(MAX_FONT, Math.floor(maxWidthRef.current / (cols * CELL_RATIO))));
        if (t.options.fontSize !== font) t.options.fontSize = font;
        if (t.cols !== cols || t.rows !== rows) t.resize(cols, rows);
      },
      write(data) {
        term.current?.write(data);
      },
      reset() {
        term.current?.reset();
      },
    }),
    [],
  );

  return <div className="terminal-view" ref={host} role="img" aria-label={label} />;
});
