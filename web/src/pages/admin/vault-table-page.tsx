// The shape the vault pages share (devices, credentials, grants): a table of what exists with a
// Remove action behind a confirmation, and beside it the form that creates a new one.

import { useState, type ReactNode } from 'react';
import { PageHeader } from '../../app/page-header';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorMessage, Loading } from '../../components/feedback';
import { formatDateTime } from '../../components/format';
import type { Loaded } from '../../components/use-load';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

export interface VaultTablePageProps<T extends { id: number; createdAt: string }> {
  title: string;
  rows: Loaded<T[]>;
  columns: Column<T>[];
  /** The confirmation asked before removing a row, and the removal itself. */
  removal: { title: string; question: (row: T) => string; remove: (row: T) => Promise<unknown> };
  /** The creation form, shown beside the table. */
  form: ReactNode;
}

export function VaultTablePage<T extends { id: number; createdAt: string }>({ title, rows, columns, removal, form }: VaultTablePageProps<T>) {
  const [removing, setRemoving] = useState<T | null>(null);
  return (
    <section className="page">
      <PageHeader title={title} crumbs={['Administration', 'Vault', title]} />
      <ErrorMessage>{rows.error}</ErrorMessage>
      <div className="admin-grid">
        <div className="card table-card">
          <table className="data-table">
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.header} className={c.className}>
                    {c.header}
                  </th>
                ))}
                <th className="col-date">Created</th>
                <th className="col-action">Action</th>
              </tr>
            </thead>
            <tbody>
              {(rows.data ?? []).map((row) => (
                <tr key={row.id}>
                  {columns.map((c) => (
                    <td key={c.header} className={c.className}>
                      {c.cell(row)}
                    </td>
                  ))}
                  <td className="col-date">{formatDateTime(row.createdAt)}</td>
                  <td className="col-action">
                    <button type="button" className="button button-small" onClick={() => setRemoving(row)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.loading && !rows.data && <Loading />}
        </div>
        {form}
      </div>
      {removing && (
        <ConfirmDialog
          title={removal.title}
          question={removal.question(removing)}
          confirmLabel="Remove"
          onConfirm={() => removal.remove(removing).then(rows.reload)}
          onClose={() => setRemoving(null)}
        />
      )}
    </section>
  );
}
