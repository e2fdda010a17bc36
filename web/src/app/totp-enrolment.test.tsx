import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api/client';
import { totpApi } from '../api/totp-api';
import { App } from './app';
import { ROUTES } from './router';

const LOGIN = {
  user: { id: 1, username: 'alice', roles: ['PAM Auditor'], permissions: [] },
  csrfToken: 'c',
  token: 't',
  expiresAt: '2026-03-01T10:00:00Z',
  totpEnrolmentRequired: true,
};

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe('login when the administrator requires TOTP', () => {
  beforeEach(() => {
    localStorage.clear();
    history.replaceState(null, '', '/');
  });

  it('lands on the two-factor page with the notice, and after confirming asks to log in again', async () => {
    const post = vi.spyOn(api, 'post').mockImplementation(async (path) => {
      if (path === '/auth/login') return LOGIN;
      // The server already revoked the enrol-only token.
      throw new ApiError(401, { type: 'x', title: 'Unauthorized', status: 401, detail: 'session expired' }, '');
    });
    vi.spyOn(totpApi, 'status').mockResolvedValue({ enrolled: false, pending: false, required: true });
    vi.spyOn(totpApi, 'start').mockResolvedValue({ uri: 'otpauth://totp/Vigil:alice?secret=ABCD', secret: 'ABCDEFGH', expiresAt: '2026-03-01T10:10:00Z' });
    const confirm = vi.spyOn(totpApi, 'confirm').mockResolvedValue({ enrolled: true, reauthenticate: true });
    render(<App />);
    fill('Username', 'alice');
    fill('Password', 'pw');
    fireEvent.click(await screen.findByRole('button', { name: 'Log in' }));

    expect(await screen.findByText('Your administrator requires two-factor authentication. Set it up to continue.')).toBeTruthy();
    expect(location.pathname).toBe(ROUTES.accountSecurity);

    fireEvent.click(await screen.findByRole('button', { name: 'Set up' }));
    fireEvent.change(await screen.findByLabelText(/^Authentication code/), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(confirm).toHaveBeenCalledWith('123456'));
    expect(await screen.findByText('Two-factor authentication is on. Log in again with a code from your authenticator app.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Log in' })).toBeTruthy();
    expect(post).toHaveBeenCalledWith('/auth/logout');
    await waitFor(() => expect(location.pathname).toBe(ROUTES.login));
  });
});
