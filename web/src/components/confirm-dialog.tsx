// A yes/no question in a modal window, for removals.

import { useState } from 'react';
import { describeError } from '../api/client';
import { ErrorMessage } from './feedback';
import { Modal } from './modal';

export interface ConfirmDialogProps {
  title: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}

export function ConfirmDialog({ title, question, confirmLabel = 'Yes', onConfirm, onClose }: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function confirm() {
    setBusy(true);
    setError('');
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }
  return (
    <Modal
      title={title}
      size="sm"
      onClose={onClose}
      initialFocus="[data-autofocus]"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            No
          </button>
          <button type="button" className="button button-danger" onClick={confirm} disabled={busy}>
            {confirmLabel}
          </button>
        </>
      }
    >
      <p className="confirm-question">{question}</p>
      <ErrorMessage>{error}</ErrorMessage>
    </Modal>
  );
}
