// PAM Core > Access Control > Users with session block: who is blocked, by whom and when, who released them; release.

import { useState } from 'react';
import { adminApi } from '../api/admin-api';
import { describeError } from '../api/client';
import { PageHeader } from '../app/page-header';
import { useAuth } from '../app/auth';
import { ErrorMessage, Loading, SuccessMessage } from '../components/feedback';
import { formatDateTime } from '../components/format';
import { RefreshIcon } from '../components/icons';
import { useLoad } from '../components/use-load';

export function SessionBlocksPage() {
  const { can } = useAuth();
  const blocks = useLoad(() => adminApi.sessionBlocks());
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState<number | null>(null);
  const mayRelease = can('PAM.SessionManagement.Block');

  async function release(userId: number, user: string) {
    setBusy(userId);
    setError('');
    setDone('');
    try {
      await adminApi.releaseBlock(userId);
      setDone(`${user} may start sessions again.`);
      blocks.reload();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  }

  const items = blocks.data ?? [];
  return (
    <section className="page">
      <PageHeader
        title="Users with session block"
        crumbs={['PAM Core', 'Access Control', 'Users with session block']}
        actions={
          <button type="button" className="button" onClick={blocks.reload}>
            <RefreshIcon size={16} /> Update
          </button>
        }
      />
      <ErrorMessage>{blocks.error}</ErrorMessage>
      <ErrorMessage>{error}</ErrorMessage>
      <SuccessMessage>{done}</SuccessMessage>
      <div className="card table-card">
        <table className="data-table">
          <thead>
            <tr>
              <th>User</th>
              <th>Session</th>
              <th>Blocked by</th>
              <th className="col-date">Blocked at</th>
              <th>Released by</th>
              <th className="col-date">Released at</th>
              <th>Status</th>
              <th className="col-action">Action</th>
            </tr>
          </thead>
          <tbody>
            {items.map((b) => {
              const active = b.active ?? b.releasedAt === null;
              return (
                <tr key={b.id}>
                  <td>{b.user}</td>
                  <td>{b.sessionId ?? '—'}</td>
                  <td>{b.blockedBy}</td>
                  <td className="col-date">{formatDateTime(b.blockedAt)}</td>
                  <td>{b.releasedBy ?? ''}</td>
                  <td className="col-date">{formatDateTime(b.releasedAt)}</td>
                  <td>{active ? <span className="badge status-failed">Blocked</span> : <span className="badge status-completed">Released</span>}</td>
                  <td className="col-action">
                    {active && mayRelease && (
                      <button type="button" className="button button-small" onClick={() => release(b.userId, b.user)} disabled={busy === b.userId}>
                        Release
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {blocks.loading && !blocks.data && <Loading />}
        {blocks.data && items.length === 0 && <p className="empty">No user has been blocked.</p>}
      </div>
    </section>
  );
}
