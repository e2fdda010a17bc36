// Drop Session: the confirmation box (Yes/No), then the Interrupt Session window with the outcome.

import { useState } from 'react';
import { describeError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import type { SessionItem } from '../api/wire';
import { ErrorMessage, SuccessMessage } from '../components/feedback';
import { Modal } from '../components/modal';
import { SessionSummary } from './session-summary';

export interface DropSessionWindowProps {
  session: SessionItem;
  onClose: () => void;
  onChanged: () => void;
}

export function DropSessionWindow({ session, onClose, onChanged }: DropSessionWindowProps) {
  const [stage, setStage] = useState<'confirm' | 'done'>('confirm');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function drop() {
    setBusy(true);
    setError('');
    try {
      await sessionsApi.drop(session.id);
      setStage('done');
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  // One window whose content moves from the question to the outcome, so focus and Esc keep working throughout.
  const done = stage === 'done';
  return (
    <Modal
      title={done ? 'Interrupt Session' : 'Drop Session'}
      size="sm"
      onClose={onClose}
      initialFocus="[data-autofocus]"
      footer={
        done ? (
          <button type="button" className="button button-primary" onClick={onClose} autoFocus>
            Close
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={onClose} data-autofocus>
              No
            </button>
            <button type="button" className="button button-danger" onClick={drop} disabled={busy}>
              {busy ? 'Dropping…' : 'Yes'}
            </button>
          </>
        )
      }
    >
      {done ? (
        <SuccessMessage>
          Session {session.id} was interrupted successfully. The user {session.user} has been disconnected.
        </SuccessMessage>
      ) : (
        <>
          <p className="confirm-question">Are you sure you want to drop this session? The user will be disconnected.</p>
          <SessionSummary session={session} />
          <ErrorMessage>{error}</ErrorMessage>
        </>
      )}
    </Modal>
  );
}
