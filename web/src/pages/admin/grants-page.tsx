// Administration > Grants: which user may open sessions with which credential; create, remove.

import { useState, type FormEvent } from 'react';
import { adminApi } from '../../api/admin-api';
import type { Grant } from '../../api/wire';
import { PageHeader } from '../../app/page-header';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorMessage, Loading, SuccessMessage } from '../../components/feedback';
import { formatDateTime } from '../../components/format';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';

export function GrantsPage() {
  const grants = useLoad(() => adminApi.grants());
  const users = useLoad(() => adminApi.users());
  const creds = useLoad(() => adminApi.credentials());
  const [removing, setRemoving] = useState<Grant | null>(null);
  const [userId, setUserId] = useState('');
  const [credentialId, setCredentialId] = useState('');
  const [portForwarding, setPortForwarding] = useState(false);
  const s = useSubmit();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (await s.run(() => adminApi.createGrant({ userId: Number(userId), credentialId: Number(credentialId), allowPortForwarding: portForwarding }), 'Grant added.')) grants.reload();
  }

  return (
    <section className="page">
      <PageHeader title="Grants" crumbs={['Administration', 'Vault', 'Grants']} />
      <ErrorMessage>{grants.error}</ErrorMessage>
      <div className="admin-grid">
        <div className="card table-card">
          <table className="data-table">
            <thead>
              <tr>
                <th>User</th>
                <th>Credential</th>
                <th>Port forwarding</th>
                <th className="col-date">Created</th>
                <th className="col-action">Action</th>
              </tr>
            </thead>
            <tbody>
              {(grants.data ?? []).map((g) => (
                <tr key={g.id}>
                  <td>{g.username}</td>
                  <td>{g.credential}</td>
                  <td>{g.allowPortForwarding ? 'Allowed' : 'Refused'}</td>
                  <td className="col-date">{formatDateTime(g.createdAt)}</td>
                  <td className="col-action">
                    <button type="button" className="button button-small" onClick={() => setRemoving(g)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {grants.loading && !grants.data && <Loading />}
        </div>
        <form className="card form-card" onSubmit={submit} aria-label="New grant">
          <h2>New grant</h2>
          <label className="field field-block">
            <span>User</span>
            <select value={userId} onChange={(e) => setUserId(e.target.value)} required>
              <option value="">Select a user…</option>
              {(users.data ?? []).map((u) => (
                <option key={u.id} value={u.id}>
                  {u.username}
                </option>
              ))}
            </select>
          </label>
          <label className="field field-block">
            <span>Credential</span>
            <select value={credentialId} onChange={(e) => setCredentialId(e.target.value)} required>
              <option value="">Select a credential…</option>
              {(creds.data ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.account}@{c.deviceName}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={portForwarding} onChange={(e) => setPortForwarding(e.target.checked)} />
            Allow port forwarding
          </label>
          <ErrorMessage>{s.error}</ErrorMessage>
          <SuccessMessage>{s.done}</SuccessMessage>
          <button type="submit" className="button button-primary" disabled={s.busy}>
            Add grant
          </button>
        </form>
      </div>
      {removing && (
        <ConfirmDialog
          title="Remove grant"
          question={`Remove ${removing.username}'s access to ${removing.credential}?`}
          confirmLabel="Remove"
          onConfirm={() => adminApi.removeGrant(removing.id).then(grants.reload)}
          onClose={() => setRemoving(null)}
        />
      )}
    </section>
  );
}
