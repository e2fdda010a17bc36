// Prevent session purge: a justification and Prevent Purge; a protected session shows so and offers Allow Purge.

import { useState, type FormEvent } from 'react';
import { describeError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import type { SessionItem } from '../api/wire';
import { ErrorMessage, SuccessMessage } from '../components/feedback';
import { ShieldIcon } from '../components/icons';
import { Modal } from '../components/modal';
import { SessionSummary } from './session-summary';

export const JUSTIFICATION_MAX = 1000;

export interface PreventPurgeWindowProps {
  session: SessionItem;
  onClose: () => void;
  onChanged: () => void;
}

export function PreventPurgeWindow({ session, onClose, onChanged }: PreventPurgeWindowProps) {
  // Local truth after our own change, until the list brings the server's.
  const [protectedNow, setProtectedNow] = useState(session.preventPurge);
  const [justification, setJustification] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const text = justification.trim();
    if (!text) {
      setError('Please write a justification.');
      return;
    }
    setBusy(true);
    setError('');
    setDone('');
    try {
      if (protectedNow) {
        await sessionsApi.allowPurge(session.id, text);
        setProtectedNow(false);
        setDone('Purge allowed again. The recording follows the retention period.');
      } else {
        await sessionsApi.preventPurge(session.id, text);
        setProtectedNow(true);
        setDone('The session is now protected from purge.');
      }
      setJustification('');
      onChanged();
    } catch (err) {
      // The justification stays in the box so nothing typed is lost.
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const formId = `purge-form-${session.id}`;
  return (
    <Modal
      title="Prevent session purge"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="submit" form={formId} className={`button ${protectedNow ? 'button-warning' : 'button-primary'}`} disabled={busy}>
            {busy ? 'Saving…' : protectedNow ? 'Allow Purge' : 'Prevent Purge'}
          </button>
        </>
      }
    >
      <SessionSummary session={session} />
      {protectedNow ? (
        <div className="alert alert-protected">
          <ShieldIcon size={16} /> This session is protected from purge: its recording is kept beyond the retention period.
        </div>
      ) : (
        <p className="hint">The recording of a protected session is never purged by retention. Say why it must be kept.</p>
      )}
      <SuccessMessage>{done}</SuccessMessage>
      <form id={formId} onSubmit={submit}>
        <div className="field field-block">
          <label htmlFor={`${formId}-text`}>Justification{protectedNow ? ' for allowing purge' : ''}</label>
          <textarea
            id={`${formId}-text`}
            name="justification"
            rows={4}
            maxLength={JUSTIFICATION_MAX}
            value={justification}
            onChange={(e) => setJustification(e.target.value)}
            placeholder={protectedNow ? 'Why may this recording be purged now?' : 'e.g. Evidence for incident INC-2041'}
            required
          />
          <small className="counter" aria-live="polite">
            {justification.length}/{JUSTIFICATION_MAX}
          </small>
        </div>
      </form>
      <ErrorMessage>{error}</ErrorMessage>
    </Modal>
  );
}
