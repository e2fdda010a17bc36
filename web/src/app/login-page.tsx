// The login page: username and password, and the one-time code field once the server says it is required.

import { useRef, useState, type FormEvent } from 'react';
import { describeError } from '../api/client';
import { ErrorMessage, InfoMessage } from '../components/feedback';
import { VigilLogo } from '../components/icons';
import { needsTotp, useAuth } from './auth';

export function LoginPage() {
  const { login, notice } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const totpRef = useRef<HTMLInputElement>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await login({ username, password, ...(askTotp && totp ? { totp } : {}) });
    } catch (err) {
      if (needsTotp(err)) {
        // First time: just reveal the field; afterwards the code itself was wrong.
        if (askTotp) setError(describeError(err));
        setAskTotp(true);
        setTotp('');
        requestAnimationFrame(() => totpRef.current?.focus());
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login-screen">
      <form className="login-card" onSubmit={submit} aria-label="Log in">
        <div className="login-brand">
          <VigilLogo size={40} />
          <div>
            <strong>Vigil</strong>
            <small>Privileged Access Management</small>
          </div>
        </div>
        <h1>Log in</h1>
        {notice && !error && <InfoMessage>{notice}</InfoMessage>}
        <label className="field field-block">
          <span>Username</span>
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label className="field field-block">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {askTotp && (
          <label className="field field-block">
            <span>Authentication code (TOTP)</span>
            <input
              ref={totpRef}
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6,8}"
              maxLength={8}
              value={totp}
              onChange={(e) => setTotp(e.target.value.replace(/\D/g, ''))}
              required
            />
            <small className="hint">Enter the 6-digit code from your authenticator app.</small>
          </label>
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="login-foot">Sessions through this gateway are recorded and may be watched live.</p>
    </div>
  );
}
