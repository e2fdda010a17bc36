// Administration > Devices: target servers with their pinned host keys; create, remove.

import { useState, type FormEvent } from 'react';
import { adminApi } from '../../api/admin-api';
import type { Device } from '../../api/wire';
import { ErrorMessage, SuccessMessage } from '../../components/feedback';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';
import { VaultTablePage } from './vault-table-page';

export function DevicesPage() {
  const devices = useLoad(() => adminApi.devices());
  return (
    <VaultTablePage<Device>
      title="Devices"
      rows={devices}
      columns={[
        { header: 'Name', cell: (d) => d.name },
        { header: 'Host', cell: (d) => d.host },
        { header: 'Port', cell: (d) => d.port },
        { header: 'Host key', cell: hostKeyCell },
      ]}
      removal={{ title: 'Remove device', question: (d) => `Remove ${d.name}, its credentials and their grants?`, remove: (d) => adminApi.removeDevice(d.id) }}
      form={<NewDeviceForm onCreated={devices.reload} />}
    />
  );
}

function hostKeyCell(d: Device) {
  if (d.hostKey) return <code title={d.hostKey}>{d.hostKey.split(' ')[0]} …{d.hostKey.slice(-12)}</code>;
  return d.trustOnFirstUse ? <span className="badge status-interrupted">Trust on first use</span> : '—';
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
