import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { adminApi } from '../api/admin-api';
import { ApiError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import { sessionItem, user } from '../test-fixtures';
import { AuditorsWindow } from './auditors-window';

const USERS = [user(1, 'admin', ['System Administrator']), user(2, 'carol'), user(3, 'dave'), user(4, 'erin')];

function setup(current: Array<{ id: number; username: string }> = [{ id: 2, username: 'carol' }]) {
  vi.spyOn(adminApi, 'users').mockResolvedValue(USERS);
  vi.spyOn(sessionsApi, 'auditors').mockResolvedValue({ auditors: current });
  const put = vi.spyOn(sessionsApi, 'setAuditors').mockImplementation(async (_id, ids) => ({ auditors: ids.map((i) => ({ id: i, username: USERS.find((u) => u.id === i)!.username })) }));
  const onChanged = vi.fn();
  render(<AuditorsWindow session={sessionItem()} onClose={() => undefined} onChanged={onChanged} />);
  return { put, onChanged };
}

const rows = () => screen.queryAllByRole('combobox') as HTMLSelectElement[];

describe('Session Auditors Configuration', () => {
  it('is a dialog titled as in Segura, listing the current auditors', async () => {
    setup();
    const dialog = screen.getByRole('dialog', { name: 'Session Auditors Configuration' });
    expect(dialog).toBeTruthy();
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0]!.value).toBe('2');
  });

  it('adds a dropdown of users with the add icon, again for each click, and saves the chosen ones', async () => {
    const { put, onChanged } = setup([]);
    await screen.findByText('Add a new auditor');
    const add = screen.getByRole('button', { name: 'Add a new auditor' });
    fireEvent.click(add);
    fireEvent.click(add);
    expect(rows()).toHaveLength(2);
    // A user chosen in one row is not offered in another.
    fireEvent.change(rows()[0]!, { target: { value: '3' } });
    expect([...rows()[1]!.options].map((o) => o.text)).not.toContain('dave (PAM Auditor)');
    fireEvent.change(rows()[1]!, { target: { value: '4' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(put).toHaveBeenCalledWith(7, [3, 4]));
    expect(await screen.findByText('Saved: 2 auditors.')).toBeTruthy();
    expect(onChanged).toHaveBeenCalled();
  });

  it('removes a row, and Save sends the list without it', async () => {
    const { put } = setup([
      { id: 2, username: 'carol' },
      { id: 3, username: 'dave' },
    ]);
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(screen.getByRole('button', { name: 'Remove auditor 1' }));
    expect(rows().map((r) => r.value)).toEqual(['3']);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(put).toHaveBeenCalledWith(7, [3]));
  });

  it('shows a refusal in plain words and keeps the rows as chosen', async () => {
    setup([]);
    vi.spyOn(sessionsApi, 'setAuditors').mockRejectedValue(new ApiError(403, { type: 'x', title: 'Forbidden', status: 403, detail: 'You do not have permission to do this' }, ''));
    await screen.findByText('Add a new auditor');
    fireEvent.click(screen.getByRole('button', { name: 'Add a new auditor' }));
    fireEvent.change(rows()[0]!, { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('alert')).textContent).toBe('You do not have permission to do this');
    expect(rows()[0]!.value).toBe('2');
  });
});
