// Administration > Devices: target servers with their pinned host keys; create, remove.

import { useState, type FormEvent } from 'react';
import { adminApi } from '../../api/admin-api';
import type { Device } from '../../api/wire';
import { PageHeader } from '../../app/page-header';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorMessage, Loading, SuccessMessage } from '../../components/feedback';
import { formatDateTime } from '../../components/format';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';

export function DevicesPage() {
  const devices = useLoad(() => adminApi.devices());
  const [removing, setRemoving] = useState<Device | null>(null);
  return (
    <section className="page">
      <PageHeader title="Devices" crumbs={['Administration', 'Vault', 'Devices']} />
      <ErrorMessage>{devices.error}</ErrorMessage>
      <div className="admin-grid">
        <div className="card table-card">
          <table className="data-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Host</th>
                <th>Port</th>
                <th>Host key</th>
                <th className="col-date">Created</th>
                <th className="col-action">Action</th>
              </tr>
            </thead>
            <tbody>
              {(devices.data ?? []).map((d) => (
                <tr key={d.id}>
                  <td>{d.name}</td>
                  <td>{d.host}</td>
                  <td>{d.port}</td>
                  <td>{d.hostKey ? <code title={d.hostKey}>{d.hostKey.split(' ')[0]} …{d.hostKey.slice(-12)}</code> : d.trustOnFirstUse ? <span className="badge status-interrupted">Trust on first use</span> : '—'}</td>
                  <td className="col-date">{formatDateTime(d.createdAt)}</td>
                  <td className="col-action">
                    <button type="button" className="button button-small" onClick={() => setRemoving(d)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {devices.loading && !devices.data && <Loading />}
        </div>
        <NewDeviceForm onCreated={devices.reload} />
      </div>
      {removing && (
        <ConfirmDialog
          title="Remove device"
          question={`Remove ${removing.name}, its credentials and their grants?`}
          confirmLabel="Remove"
          onConfirm={() => adminApi.removeDevice(removing.id).then(devices.reload)}
          onClose={() => setRemoving(null)}
        />
      )}
    </section>
  );
}

function NewDeviceForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('22');
  const [hostKey, setHostKey] = useState('');
  const [tofu, setTofu] = useState(false);
  const s = useSubmit();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await s.run(
      () => adminApi.createDevice({ name: name.trim(), host: host.trim(), port: Number(port) || 22, hostKey: hostKey.trim() || undefined, trustOnFirstUse: tofu }),
      `Device ${name.trim()} created.`,
    );
    if (ok) {
      setName('');
      setHost('');
      setHostKey('');
      onCreated();
    }
  }
  return (
    <form className="card form-card" onSubmit={submit} aria-label="New device">
      <h2>New device</h2>
      <label className="field field-block">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} />
      </label>
      <label className="field field-block">
        <span>Host</span>
        <input value={host} onChange={(e) => setHost(e.target.value)} required />
      </label>
      <label className="field field-block">
        <span>Port</span>
        <input type="number" min={1} max={65535} value={port} onChange={(e) => setPort(e.target.value)} />
      </label>
      <label className="field field-block">
        <span>Host key</span>
        <textarea rows={2} value={hostKey} onChange={(e) => setHostKey(e.target.value)} placeholder="ssh-ed25519 AAAA…" />
      </label>
      <label className="check">
        <input type="checkbox" checked={tofu} onChange={(e) => setTofu(e.target.checked)} />
        Trust the host key on first use
      </label>
      <ErrorMessage>{s.error}</ErrorMessage>
      <SuccessMessage>{s.done}</SuccessMessage>
      <button type="submit" className="button button-primary" disabled={s.busy}>
        Create device
      </button>
    </form>
  );
}
