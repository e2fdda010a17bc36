// Page navigation under a table: "1–30 of 245" and first/previous/next/last.

import { ChevronIcon } from './icons';

export interface PagerProps {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
}

export function Pager({ page, pageSize, total, onPage }: PagerProps) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav className="pager" aria-label="Pages">
      <span className="pager-info">
        {from}–{to} of {total.toLocaleString()}
      </span>
      <button type="button" className="icon-button" aria-label="First page" title="First page" disabled={page <= 1} onClick={() => onPage(1)}>
        «
      </button>
      <button type="button" className="icon-button" aria-label="Previous page" title="Previous page" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        <ChevronIcon dir="left" size={16} />
      </button>
      <span className="pager-page">
        Page {page} of {pages.toLocaleString()}
      </span>
      <button type="button" className="icon-button" aria-label="Next page" title="Next page" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        <ChevronIcon dir="right" size={16} />
      </button>
      <button type="button" className="icon-button" aria-label="Last page" title="Last page" disabled={page >= pages} onClick={() => onPage(pages)}>
        »
      </button>
    </nav>
  );
}
