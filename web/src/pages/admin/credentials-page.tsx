// Administration > Credentials: vaulted accounts (secrets are write-only); create, remove.

import { useState, type FormEvent } from 'react';
import { adminApi } from '../../api/admin-api';
import type { Credential } from '../../api/wire';
import { ErrorMessage, SuccessMessage } from '../../components/feedback';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';
import { VaultTablePage } from './vault-table-page';

export function CredentialsPage() {
  const creds = useLoad(() => adminApi.credentials());
  const devices = useLoad(() => adminApi.devices());
  return (
    <VaultTablePage<Credential>
      title="Credentials"
      rows={creds}
      columns={[
        { header: 'Account', cell: (c) => c.account },
        { header: 'Device', cell: (c) => c.deviceName },
        { header: 'Kind', cell: (c) => (c.kind === 'key' ? 'Private key' : 'Password') },
      ]}
      removal={{ title: 'Remove credential', question: (c) => `Remove ${c.account}@${c.deviceName} and its grants?`, remove: (c) => adminApi.removeCredential(c.id) }}
      form={<NewCredentialForm devices={(devices.data ?? []).map((d) => d.name)} onCreated={creds.reload} />}
    />
  );
}

function NewCredentialForm({ devices, onCreated }: { devices: string[]; onCreated: () => void }) {
  const [device, setDevice] = useState('');
  const [account, setAccount] = useState('');
  const [kind, setKind] = useState<'password' | 'key'>('password');
  const [secret, setSecret] = useState('');
  const s = useSubmit();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const body = kind === 'password' ? { password: secret } : { privateKey: secret };
    const ok = await s.run(() => adminApi.createCredential({ device, account: account.trim(), ...body }), `Credential ${account.trim()}@${device} vaulted.`);
    if (ok) {
      setAccount('');
      setSecret('');
      onCreated();
    }
  }
  return (
    <form className="card form-card" onSubmit={submit} aria-label="New credential">
      <h2>New credential</h2>
      <label className="field field-block">
        <span>Device</span>
        <select value={device} onChange={(e) => setDevice(e.target.value)} required>
          <option value="">Select a device…</option>
          {devices.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <label className="field field-block">
        <span>Account</span>
        <input value={account} onChange={(e) => setAccount(e.target.value)} required maxLength={64} autoComplete="off" />
      </label>
      <fieldset className="checks checks-inline">
        <legend>Secret</legend>
        <label className="check">
          <input type="radio" name="kind" checked={kind === 'password'} onChange={() => setKind('password')} /> Password
        </label>
        <label className="check">
          <input type="radio" name="kind" checked={kind === 'key'} onChange={() => setKind('key')} /> Private key
        </label>
      </fieldset>
      {kind === 'password' ? (
        <label className="field field-block">
          <span>Password</span>
          <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} required autoComplete="new-password" />
        </label>
      ) : (
        <label className="field field-block">
          <span>Private key</span>
          <textarea rows={4} value={secret} onChange={(e) => setSecret(e.target.value)} required placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" spellCheck={false} />
        </label>
      )}
      <p className="hint">Secrets are encrypted in the vault and never shown again.</p>
      <ErrorMessage>{s.error}</ErrorMessage>
      <SuccessMessage>{s.done}</SuccessMessage>
      <button type="submit" className="button button-primary" disabled={s.busy}>
        Vault credential
      </button>
    </form>
  );
}
