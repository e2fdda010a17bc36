import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adminApi } from '../../api/admin-api';
import { ApiError } from '../../api/client';
import type { Credential, Device, Grant } from '../../api/wire';
import { user } from '../../test-fixtures';
import { CredentialsPage } from './credentials-page';
import { DevicesPage } from './devices-page';
import { GrantsPage } from './grants-page';

const AT = '2026-03-01T09:00:00.000Z';
const WEB01: Device = { id: 1, name: 'web01', host: '10.0.0.5', port: 22, hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyTail0123', trustOnFirstUse: false, createdAt: AT };
const DB01: Device = { id: 2, name: 'db01', host: 'db.example', port: 2200, hostKey: null, trustOnFirstUse: true, createdAt: AT };
const ROOT: Credential = { id: 5, deviceId: 1, deviceName: 'web01', account: 'root', kind: 'key', createdAt: AT };
const GRANT: Grant = { id: 9, userId: 2, username: 'alice', credentialId: 5, credential: 'root@web01', allowPortForwarding: false, createdAt: AT };

afterEach(() => vi.restoreAllMocks());

const bodyRows = () => screen.getAllByRole('row').slice(1);

describe('Devices page', () => {
  it('lists devices with their pinned key or trust-on-first-use, and removes one only after Remove is confirmed', async () => {
    let devices = [WEB01, DB01];
    const list = vi.spyOn(adminApi, 'devices').mockImplementation(async () => devices);
    const remove = vi.spyOn(adminApi, 'removeDevice').mockImplementation(async (id) => {
      devices = devices.filter((d) => d.id !== id);
    });
    render(<DevicesPage />);
    await waitFor(() => expect(bodyRows()).toHaveLength(2));
    expect(within(bodyRows()[0]!).getByText('ssh-ed25519 …IKeyTail0123')).toBeTruthy();
    expect(within(bodyRows()[1]!).getByText('Trust on first use')).toBeTruthy();
    expect(within(bodyRows()[1]!).getByText('2200')).toBeTruthy();

    fireEvent.click(within(bodyRows()[1]!).getByRole('button', { name: 'Remove' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove device' });
    expect(within(dialog).getByText('Remove db01, its credentials and their grants?')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'No' }));
    expect(remove).not.toHaveBeenCalled();

    fireEvent.click(within(bodyRows()[1]!).getByRole('button', { name: 'Remove' }));
    fireEvent.click(within(screen.getByRole('dialog', { name: 'Remove device' })).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(remove).toHaveBeenCalledWith(2));
    await waitFor(() => expect(bodyRows()).toHaveLength(1));
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('creates a device from the form, and shows the server refusal in plain words keeping what was typed', async () => {
    vi.spyOn(adminApi, 'devices').mockResolvedValue([]);
    const create = vi
      .spyOn(adminApi, 'createDevice')
      .mockRejectedValueOnce(new ApiError(409, { type: 'about:blank', title: 'Conflict', status: 409, detail: 'device web02 already exists' }, 'Conflict'))
      .mockResolvedValueOnce({ ...WEB01, id: 3, name: 'web02' });
    render(<DevicesPage />);
    const form = screen.getByRole('form', { name: 'New device' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: ' web02 ' } });
    fireEvent.change(within(form).getByLabelText('Host'), { target: { value: '10.0.0.6' } });
    fireEvent.change(within(form).getByLabelText('Port'), { target: { value: '2222' } });
    fireEvent.click(within(form).getByLabelText('Trust the host key on first use'));
    fireEvent.click(within(form).getByRole('button', { name: 'Create device' }));
    expect(await within(form).findByText(/device web02 already exists/)).toBeTruthy();
    expect((within(form).getByLabelText('Name') as HTMLInputElement).value).toBe(' web02 ');
    fireEvent.click(within(form).getByRole('button', { name: 'Create device' }));
    expect(await within(form).findByText('Device web02 created.')).toBeTruthy();
    expect(create).toHaveBeenLastCalledWith({ name: 'web02', host: '10.0.0.6', port: 2222, hostKey: undefined, trustOnFirstUse: true });
    expect((within(form).getByLabelText('Name') as HTMLInputElement).value).toBe('');
  });
});

describe('Credentials page', () => {
  it('never shows a secret, and vaults a password for a chosen device', async () => {
    vi.spyOn(adminApi, 'credentials').mockResolvedValue([ROOT]);
    vi.spyOn(adminApi, 'devices').mockResolvedValue([WEB01, DB01]);
    const create = vi.spyOn(adminApi, 'createCredential').mockResolvedValue({ ...ROOT, id: 6, account: 'deploy', kind: 'password' });
    render(<CredentialsPage />);
    await waitFor(() => expect(bodyRows()).toHaveLength(1));
    expect(bodyRows()[0]!.textContent).toContain('Private key');
    const form = screen.getByRole('form', { name: 'New credential' });
    await waitFor(() => expect(within(form).getAllByRole('option')).toHaveLength(3));
    fireEvent.change(within(form).getByLabelText('Device'), { target: { value: 'db01' } });
    fireEvent.change(within(form).getByLabelText('Account'), { target: { value: 'deploy' } });
    const secret = within(form).getByLabelText('Password', { selector: 'input[type=password]' }) as HTMLInputElement;
    expect(secret.type).toBe('password');
    fireEvent.change(secret, { target: { value: 's3cret-Pass' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Vault credential' }));
    expect(await within(form).findByText('Credential deploy@db01 vaulted.')).toBeTruthy();
    expect(create).toHaveBeenCalledWith({ device: 'db01', account: 'deploy', password: 's3cret-Pass' });
    expect(secret.value).toBe('');
    expect(document.body.textContent).not.toContain('s3cret-Pass');
  });
});

describe('Grants page', () => {
  it('shows whether port forwarding is allowed and grants a credential to a user', async () => {
    vi.spyOn(adminApi, 'grants').mockResolvedValue([GRANT]);
    vi.spyOn(adminApi, 'users').mockResolvedValue([user(2, 'alice'), user(3, 'bob')]);
    vi.spyOn(adminApi, 'credentials').mockResolvedValue([ROOT]);
    const create = vi.spyOn(adminApi, 'createGrant').mockResolvedValue({ ...GRANT, id: 10, userId: 3, username: 'bob', allowPortForwarding: true });
    render(<GrantsPage />);
    await waitFor(() => expect(bodyRows()).toHaveLength(1));
    expect(within(bodyRows()[0]!).getByText('Refused')).toBeTruthy();
    const form = screen.getByRole('form', { name: 'New grant' });
    await waitFor(() => expect(within(form).getByRole('option', { name: 'bob' })).toBeTruthy());
    await waitFor(() => expect(within(form).getByRole('option', { name: 'root@web01' })).toBeTruthy());
    fireEvent.change(within(form).getByLabelText('User'), { target: { value: '3' } });
    fireEvent.change(within(form).getByLabelText('Credential'), { target: { value: '5' } });
    fireEvent.click(within(form).getByLabelText('Allow port forwarding'));
    fireEvent.click(within(form).getByRole('button', { name: 'Add grant' }));
    expect(await within(form).findByText('Grant added.')).toBeTruthy();
    expect(create).toHaveBeenCalledWith({ userId: 3, credentialId: 5, allowPortForwarding: true });
  });
});
