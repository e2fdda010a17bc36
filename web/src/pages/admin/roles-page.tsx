// Administration > Roles: roles and their permissions; create, edit, remove.

import { useState } from 'react';
import { adminApi } from '../../api/admin-api';
import { PERMISSION_NAMES, type Role } from '../../api/wire';
import { PageHeader } from '../../app/page-header';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorMessage, Loading, SuccessMessage } from '../../components/feedback';
import { Modal } from '../../components/modal';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';

export function RolesPage() {
  const roles = useLoad(() => adminApi.roles());
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const [removing, setRemoving] = useState<Role | null>(null);

  return (
    <section className="page">
      <PageHeader
        title="Roles"
        crumbs={['Administration', 'Identity', 'Roles']}
        actions={
          <button type="button" className="button button-primary" onClick={() => setEditing('new')}>
            New role
          </button>
        }
      />
      <ErrorMessage>{roles.error}</ErrorMessage>
      <div className="card table-card">
        <table className="data-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Permissions</th>
              <th className="col-action">Action</th>
            </tr>
          </thead>
          <tbody>
            {(roles.data ?? []).map((r) => (
              <tr key={r.id}>
                <td>{r.name}</td>
                <td>
                  <div className="chips">
                    {r.permissions.map((p) => (
                      <span key={p} className="chip">
                        {p}
                      </span>
                    ))}
                  </div>
                </td>
                <td className="col-action">
                  <div className="action-buttons">
                    <button type="button" className="button button-small" onClick={() => setEditing(r)}>
                      Edit
                    </button>
                    <button type="button" className="button button-small" onClick={() => setRemoving(r)}>
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {roles.loading && !roles.data && <Loading />}
      </div>
      {editing && <RoleWindow role={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={roles.reload} />}
      {removing && (
        <ConfirmDialog
          title="Remove role"
          question={`Remove the role ${removing.name}? Only a role no user holds can be removed.`}
          confirmLabel="Remove"
          onConfirm={() => adminApi.removeRole(removing.name).then(roles.reload)}
          onClose={() => setRemoving(null)}
        />
      )}
    </section>
  );
}

function RoleWindow({ role, onClose, onSaved }: { role: Role | null; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(role?.name ?? '');
  const [perms, setPerms] = useState<string[]>(role?.permissions ?? []);
  const s = useSubmit();
  async function save() {
    if (await s.run(() => adminApi.saveRole(name.trim(), perms), 'Role saved.')) onSaved();
  }
  return (
    <Modal
      title={role ? `Edit role ${role.name}` : 'New role'}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="button" className="button button-primary" onClick={save} disabled={s.busy || !name.trim()}>
            Save
          </button>
        </>
      }
    >
      <label className="field field-block">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} disabled={!!role} maxLength={64} />
      </label>
      <fieldset className="checks">
        <legend>Permissions</legend>
        {PERMISSION_NAMES.map((p) => (
          <label key={p} className="check">
            <input type="checkbox" checked={perms.includes(p)} onChange={(e) => setPerms(e.target.checked ? [...perms, p] : perms.filter((x) => x !== p))} />
            <code>{p}</code>
          </label>
        ))}
      </fieldset>
      <ErrorMessage>{s.error}</ErrorMessage>
      <SuccessMessage>{s.done}</SuccessMessage>
    </Modal>
  );
}
