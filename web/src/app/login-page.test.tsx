import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api/client';
import { AuthProvider } from './auth';
import { LoginPage } from './login-page';

const ME = { user: { id: 1, username: 'alice', roles: ['PAM Auditor'], permissions: [] }, csrfToken: 'c', token: 't', expiresAt: '2026-03-01T10:00:00Z' };

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe('login page', () => {
  beforeEach(() => localStorage.clear());

  it('asks for the TOTP code only when the server says it is required, then sends it', async () => {
    const post = vi.spyOn(api, 'post').mockImplementation(async (_path, body) => {
      if (!(body as { totp?: string }).totp) throw new ApiError(401, { type: 'x', title: 'Unauthorized', status: 401, detail: 'a TOTP code is required', totpRequired: true }, '');
      return ME;
    });
    render(
      <AuthProvider>
        <LoginPage />
      </AuthProvider>,
    );
    expect(screen.queryByLabelText(/TOTP/)).toBeNull();
    fill('Username', 'alice');
    fill('Password', 'pw');
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const totp = await screen.findByLabelText(/TOTP/);
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.change(totp, { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(post).toHaveBeenLastCalledWith('/auth/login', { username: 'alice', password: 'pw', totp: '123456' }));
    expect(api.csrfToken).toBe('c');
  });

  it('shows a refused password in plain words and keeps what was typed', async () => {
    vi.spyOn(api, 'post').mockRejectedValue(new ApiError(401, { type: 'x', title: 'Unauthorized', status: 401, detail: 'invalid username or password' }, ''));
    render(
      <AuthProvider>
        <LoginPage />
      </AuthProvider>,
    );
    fill('Username', 'alice');
    fill('Password', 'nope');
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('invalid username or password');
    expect((screen.getByLabelText('Username') as HTMLInputElement).value).toBe('alice');
    expect(screen.queryByLabelText(/TOTP/)).toBeNull();
  });
});
