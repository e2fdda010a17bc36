import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import { sessionItem } from '../test-fixtures';
import { PreventPurgeWindow } from './prevent-purge-window';

describe('Prevent session purge', () => {
  it('sends the justification with Prevent Purge, then shows the session protected', async () => {
    const post = vi.spyOn(sessionsApi, 'preventPurge').mockResolvedValue(sessionItem({ preventPurge: true }));
    render(<PreventPurgeWindow session={sessionItem()} onClose={() => undefined} onChanged={() => undefined} />);
    expect(screen.getByRole('dialog', { name: 'Prevent session purge' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Justification'), { target: { value: ' Evidence for INC-7 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Prevent Purge' }));
    await waitFor(() => expect(post).toHaveBeenCalledWith(7, 'Evidence for INC-7'));
    expect(await screen.findByText(/This session is protected from purge/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Allow Purge' })).toBeTruthy();
  });

  it('offers Allow Purge, with a justification, on a protected session', async () => {
    const del = vi.spyOn(sessionsApi, 'allowPurge').mockResolvedValue(sessionItem());
    render(<PreventPurgeWindow session={sessionItem({ preventPurge: true })} onClose={() => undefined} onChanged={() => undefined} />);
    fireEvent.change(screen.getByLabelText(/Justification/), { target: { value: 'case closed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Allow Purge' }));
    await waitFor(() => expect(del).toHaveBeenCalledWith(7, 'case closed'));
  });

  it('keeps the typed justification when the server refuses', async () => {
    vi.spyOn(sessionsApi, 'preventPurge').mockRejectedValue(new ApiError(400, { type: 'x', title: 'Bad Request', status: 400, detail: 'justification: too long' }, ''));
    render(<PreventPurgeWindow session={sessionItem()} onClose={() => undefined} onChanged={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Justification'), { target: { value: 'my reasons' } });
    fireEvent.click(screen.getByRole('button', { name: 'Prevent Purge' }));
    expect((await screen.findByRole('alert')).textContent).toBe('justification: too long');
    expect((screen.getByLabelText('Justification') as HTMLTextAreaElement).value).toBe('my reasons');
  });
});
