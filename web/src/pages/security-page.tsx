// Account > Two-factor authentication: the caller's own TOTP — whether it is on, enrolment (URI, secret, confirming code), turning it off.

import { useState, type FormEvent } from 'react';
import { totpApi } from '../api/totp-api';
import type { TotpStart } from '../api/wire';
import { useAuth } from '../app/auth';
import { PageHeader } from '../app/page-header';
import { ErrorMessage, InfoMessage, Loading, SuccessMessage } from '../components/feedback';
import { QrCode } from '../components/qr-code';
import { useLoad } from '../components/use-load';
import { useSubmit } from './admin/use-submit';

export const ENROLMENT_NOTICE = 'Your administrator requires two-factor authentication. Set it up to continue.';
export const LOG_IN_AGAIN = 'Two-factor authentication is on. Log in again with a code from your authenticator app.';

/** A base32 secret in groups of four, as authenticator apps show it. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

export function SecurityPage() {
  const { totpEnrolmentRequired, logout } = useAuth();
  const status = useLoad(() => totpApi.status());
  const [started, setStarted] = useState<TotpStart | null>(null);
  const submit = useSubmit();

  async function start() {
    await submit.run(async () => setStarted(await totpApi.start()), '');
  }

  async function confirm(code: string) {
    const ok = await submit.run(async () => {
      const res = await totpApi.confirm(code);
      // The server revoked a session that could only enrol: it must log in again, now with a code.
      if (res.reauthenticate) await logout(LOG_IN_AGAIN);
    }, 'Two-factor authentication is on. From now on, logging in asks for a code.');
    if (ok) {
      setStarted(null);
      status.reload();
    }
  }

  async function disable(code: string) {
    if (await submit.run(() => totpApi.disable(code), 'Two-factor authentication is off.')) status.reload();
  }

  const enrolled = status.data?.enrolled;
  return (
    <div className="page">
      <PageHeader title="Two-factor authentication" crumbs={['Account', 'Two-factor authentication']} />
      {totpEnrolmentRequired && <InfoMessage>{ENROLMENT_NOTICE}</InfoMessage>}
      <ErrorMessage>{status.error}</ErrorMessage>
      <SuccessMessage>{submit.done}</SuccessMessage>
      {status.loading && !status.data ? (
        <Loading />
      ) : status.data && started && !enrolled ? (
        <EnrolForm started={started} busy={submit.busy} error={submit.error} onConfirm={confirm} />
      ) : status.data && enrolled ? (
        <div className="card form-card">
          <CodeForm label="Turn off two-factor authentication" intro="Two-factor authentication is on. To turn it off, enter a current code." action="Turn off" busy={submit.busy} error={submit.error} onSubmit={disable} danger />
        </div>
      ) : status.data ? (
        <div className="card form-card">
          <p>Two-factor authentication is off.{status.data.required ? ' Your administrator requires it.' : ''}</p>
          <p className="hint">With it on, logging in asks for a 6-digit code from an authenticator app as well as your password.</p>
          <ErrorMessage>{submit.error}</ErrorMessage>
          <button type="button" className="button button-primary" onClick={start} disabled={submit.busy}>
            Set up
          </button>
        </div>
      ) : null}
    </div>
  );
}

function EnrolForm({ started, busy, error, onConfirm }: { started: TotpStart; busy: boolean; error: string; onConfirm: (code: string) => void }) {
  const [copied, setCopied] = useState(false);
  function copy() {
    navigator.clipboard?.writeText(started.uri).then(() => setCopied(true), () => setCopied(false));
  }
  return (
    <div className="card form-card">
      <p>Scan this code with your authenticator app, or add the link below, or type the secret in by hand. They are shown only now.</p>
      <QrCode text={started.uri} label="QR code of the otpauth URI" />
      <div className="field field-block">
        <span>otpauth URI</span>
        <pre className="code-block" aria-label="otpauth URI">
          <code>{started.uri}</code>
        </pre>
        <button type="button" className="button button-small" onClick={copy}>
          {copied ? 'Copied' : 'Copy URI'}
        </button>
      </div>
      <div className="field field-block">
        <span>Secret</span>
        <code aria-label="Secret">{groupSecret(started.secret)}</code>
      </div>
      <CodeForm label="Confirm two-factor authentication" intro="Then enter the code your app shows." action="Confirm" busy={busy} error={error} onSubmit={onConfirm} />
    </div>
  );
}

interface CodeFormProps {
  label: string;
  intro: string;
  action: string;
  busy: boolean;
  error: string;
  onSubmit: (code: string) => void;
  danger?: boolean;
}

/** A 6-digit code and one button; the code stays as typed when the server refuses it. */
function CodeForm({ label, intro, action, busy, error, onSubmit, danger }: CodeFormProps) {
  const [code, setCode] = useState('');
  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(code);
  }
  return (
    <form onSubmit={submit} aria-label={label}>
      <p>{intro}</p>
      <label className="field field-block">
        <span>Authentication code</span>
        <input
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          required
        />
        <small className="hint">The current 6-digit code from your authenticator app.</small>
      </label>
      <ErrorMessage>{error}</ErrorMessage>
      <button type="submit" className={`button ${danger ? 'button-danger' : 'button-primary'}`} disabled={busy}>
        {action}
      </button>
    </form>
  );
}
