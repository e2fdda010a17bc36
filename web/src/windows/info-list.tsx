// A labelled list of facts ("Start: …") used by the info sections of the windows.

import type { ReactNode } from 'react';

export function InfoList({ items }: { items: ReadonlyArray<[string, ReactNode]> }) {
  return (
    <dl className="info-list">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? <span className="muted">—</span> : v}</dd>
        </div>
      ))}
    </dl>
  );
}
