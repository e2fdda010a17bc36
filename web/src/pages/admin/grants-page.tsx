// Administration > Grants: which user may open sessions with which credential; create, remove.

import { useState, type FormEvent } from 'react';
import { adminApi } from '../../api/admin-api';
import type { Grant } from '../../api/wire';
import { ErrorMessage, SuccessMessage } from '../../components/feedback';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';
import { VaultTablePage } from './vault-table-page';

export function GrantsPage() {
  const grants = useLoad(() => adminApi.grants());
  return (
    <VaultTablePage<Grant>
      title="Grants"
      rows={grants}
      columns={[
        { header: 'User', cell: (g) => g.username },
        { header: 'Credential', cell: (g) => g.credential },
        { header: 'Port forwarding', cell: (g) => (g.allowPortForwarding ? 'Allowed' : 'Refused') },
      ]}
      removal={{ title: 'Remove grant', question: (g) => `Remove ${g.username}'s access to ${g.credential}?`, remove: (g) => adminApi.removeGrant(g.id) }}
      form={<NewGrantForm onCreated={grants.reload} />}
    />
  );
}

function NewGrantForm({ onCreated }: { onCreated: () => void }) {
  const users = useLoad(() => adminApi.users());
  const creds = useLoad(() => adminApi.credentials());
  const [userId, setUserId] = useState('');
  const [credentialId, setCredentialId] = useState('');
  const [portForwarding, setPortForwarding] = useState(false);
  const s = useSubmit();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (await s.run(() => adminApi.createGrant({ userId: Number(userId), credentialId: Number(credentialId), allowPortForwarding: portForwarding }), 'Grant added.')) onCreated();
  }

  return (
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
  );
}
