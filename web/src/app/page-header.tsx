// The title row of a page: breadcrumbs, title and the page actions on the right.

import type { ReactNode } from 'react';

export function PageHeader({ title, crumbs, actions }: { title: string; crumbs?: string[]; actions?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        {crumbs && (
          <nav className="breadcrumbs" aria-label="Breadcrumb">
            {crumbs.map((c, i) => (
              <span key={c}>
                {i > 0 && <span className="crumb-sep">/</span>}
                {c}
              </span>
            ))}
          </nav>
        )}
        <h1>{title}</h1>
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}
