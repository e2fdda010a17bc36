// Administration > Users: list, create (password and/or public key, roles), enable/disable, change roles or password.

import { useState, type FormEvent } from 'react';
import { adminApi } from '../../api/admin-api';
import type { Role, User } from '../../api/wire';
import { PageHeader } from '../../app/page-header';
import { ErrorMessage, Loading, SuccessMessage } from '../../components/feedback';
import { formatDateTime } from '../../components/format';
import { Modal } from '../../components/modal';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';

export function UsersPage() {
  const users = useLoad(() => adminApi.users());
  const roles = useLoad(() => adminApi.roles());
  const [editing, setEditing] = useState<User | null>(null);
  const toggle = useSubmit();

  return (
    <section className="page">
      <PageHeader title="Users" crumbs={['Administration', 'Identity', 'Users']} />
      <ErrorMessage>{users.error}</ErrorMessage>
      <ErrorMessage>{toggle.error}</ErrorMessage>
      <SuccessMessage>{toggle.done}</SuccessMessage>
      <div className="admin-grid">
        <div className="card table-card">
          <table className="data-table">
            <thead>
              <tr>
                <th>Username</th>
                <th>Roles</th>
                <th>Status</th>
                <th>TOTP</th>
                <th>Keys</th>
                <th className="col-date">Created</th>
                <th className="col-action">Action</th>
              </tr>
            </thead>
            <tbody>
              {(users.data ?? []).map((u) => (
                <tr key={u.id}>
                  <td>{u.username}</td>
                  <td>{u.roles.join(', ')}</td>
                  <td>
                    {u.disabled ? (
                      <span className="badge status-failed">Disabled</span>
                    ) : u.lockedUntil && Date.parse(u.lockedUntil) > Date.now() ? (
                      <span className="badge status-interrupted">Locked until {formatDateTime(u.lockedUntil)}</span>
                    ) : (
                      <span className="badge status-active">Enabled</span>
                    )}
                  </td>
                  <td>{u.totpEnrolled ? 'Enrolled' : '—'}</td>
                  <td>{u.keys.length || '—'}</td>
                  <td className="col-date">{formatDateTime(u.createdAt)}</td>
                  <td className="col-action">
                    <div className="action-buttons">
                      <button type="button" className="button button-small" onClick={() => setEditing(u)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="button button-small"
                        disabled={toggle.busy}
                        onClick={() => toggle.run(() => adminApi.patchUser(u.id, { disabled: !u.disabled }), `${u.username} ${u.disabled ? 'enabled' : 'disabled'}.`).then(users.reload)}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {users.loading && !users.data && <Loading />}
        </div>
        <NewUserForm roles={roles.data ?? []} onCreated={users.reload} />
      </div>
      {editing && <EditUserWindow user={editing} roles={roles.data ?? []} onClose={() => setEditing(null)} onSaved={users.reload} />}
    </section>
  );
}

function RoleChecks({ roles, value, onChange }: { roles: Role[]; value: string[]; onChange: (v: string[]) => void }) {
  return (
    <fieldset className="checks">
      <legend>Roles</legend>
      {roles.map((r) => (
        <label key={r.name} className="check">
          <input type="checkbox" checked={value.includes(r.name)} onChange={(e) => onChange(e.target.checked ? [...value, r.name] : value.filter((x) => x !== r.name))} />
          {r.name}
        </label>
      ))}
    </fieldset>
  );
}

function NewUserForm({ roles, onCreated }: { roles: Role[]; onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [chosen, setChosen] = useState<string[]>(['PAM User']);
  const s = useSubmit();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await s.run(
      () => adminApi.createUser({ username: username.trim(), password: password || undefined, publicKey: publicKey.trim() || undefined, roles: chosen }),
      `User ${username.trim()} created.`,
    );
    if (ok) {
      setUsername('');
      setPassword('');
      setPublicKey('');
      onCreated();
    }
  }

  return (
    <form className="card form-card" onSubmit={submit} aria-label="New user">
      <h2>New user</h2>
      <label className="field field-block">
        <span>Username</span>
        <input value={username} onChange={(e) => setUsername(e.target.value)} required maxLength={64} autoComplete="off" />
      </label>
      <label className="field field-block">
        <span>Password</span>
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
      </label>
      <label className="field field-block">
        <span>Public key (optional)</span>
        <textarea rows={2} value={publicKey} onChange={(e) => setPublicKey(e.target.value)} placeholder="ssh-ed25519 AAAA… comment" />
      </label>
      <RoleChecks roles={roles} value={chosen} onChange={setChosen} />
      <ErrorMessage>{s.error}</ErrorMessage>
      <SuccessMessage>{s.done}</SuccessMessage>
      <button type="submit" className="button button-primary" disabled={s.busy}>
        Create user
      </button>
    </form>
  );
}

function EditUserWindow({ user, roles, onClose, onSaved }: { user: User; roles: Role[]; onClose: () => void; onSaved: () => void }) {
  const [chosen, setChosen] = useState(user.roles);
  const [password, setPassword] = useState('');
  const s = useSubmit();
  async function save() {
    const ok = await s.run(() => adminApi.patchUser(user.id, { roles: chosen, ...(password ? { password } : {}) }), 'Saved.');
    if (ok) {
      setPassword('');
      onSaved();
    }
  }
  return (
    <Modal
      title={`Edit user ${user.username}`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="button" className="button button-primary" onClick={save} disabled={s.busy}>
            Save
          </button>
        </>
      }
    >
      <RoleChecks roles={roles} value={chosen} onChange={setChosen} />
      <label className="field field-block">
        <span>New password (leave empty to keep)</span>
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
      </label>
      <ErrorMessage>{s.error}</ErrorMessage>
      <SuccessMessage>{s.done}</SuccessMessage>
    </Modal>
  );
}
