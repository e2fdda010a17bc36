// Session Auditors Configuration: rows of user pickers (Add a new auditor / remove), saved as the full list.

import { useEffect, useRef, useState } from 'react';
import { adminApi } from '../api/admin-api';
import { describeError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import type { SessionItem, User } from '../api/wire';
import { ErrorMessage, Loading, SuccessMessage } from '../components/feedback';
import { PlusIcon, TrashIcon } from '../components/icons';
import { Modal } from '../components/modal';
import { SessionSummary } from './session-summary';

interface Row {
  key: number;
  userId: number | null;
}

export interface AuditorsWindowProps {
  session: SessionItem;
  onClose: () => void;
  onChanged: () => void;
}

export function AuditorsWindow({ session, onClose, onChanged }: AuditorsWindowProps) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [known, setKnown] = useState<Array<{ id: number; username: string }>>([]);
  const [loadError, setLoadError] = useState('');
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  const nextKey = useRef(1);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => {
    let cancelled = false;
    // The current auditors load even when the user list is refused, so they still show (by name) and can be removed.
    sessionsApi
      .auditors(session.id)
      .then((current) => {
        if (cancelled) return;
        setKnown(current.auditors);
        setRows(current.auditors.map((a) => ({ key: nextKey.current++, userId: a.id })));
        return adminApi.users().then((us) => !cancelled && setUsers(us));
      })
      .catch((err: unknown) => {
        if (!cancelled) {
          setLoadError(describeError(err));
          setUsers((u) => u ?? []);
        }
      });
    return () => {
      cancelled = true;
    };
  }, [session.id]);

  function addRow() {
    setSaved('');
    setRows((r) => [...r, { key: nextKey.current++, userId: null }]);
    // Put the keyboard on the new dropdown.
    requestAnimationFrame(() => listRef.current?.querySelector<HTMLSelectElement>('li:last-child select')?.focus());
  }

  function setRow(key: number, userId: number | null) {
    setSaved('');
    setRows((r) => r.map((row) => (row.key === key ? { ...row, userId } : row)));
  }

  function removeRow(key: number) {
    setSaved('');
    setRows((r) => r.filter((row) => row.key !== key));
  }

  async function save() {
    const userIds = [...new Set(rows.map((r) => r.userId).filter((id): id is number => id !== null))];
    setBusy(true);
    setError('');
    try {
      const res = await sessionsApi.setAuditors(session.id, userIds);
      if (res?.auditors) setKnown(res.auditors);
      setSaved(userIds.length === 0 ? 'Saved: this session has no auditors.' : `Saved: ${userIds.length} auditor${userIds.length > 1 ? 's' : ''}.`);
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const chosen = new Set(rows.map((r) => r.userId));
  const nameOf = (id: number) => users?.find((u) => u.id === id)?.username ?? known.find((u) => u.id === id)?.username ?? `user #${id}`;

  return (
    <Modal
      title="Session Auditors Configuration"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="button" className="button button-primary" onClick={save} disabled={busy || users === null}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </>
      }
    >
      <SessionSummary session={session} />
      <ErrorMessage>{loadError}</ErrorMessage>
      {users === null ? (
        <Loading />
      ) : (
        <>
          <div className="auditors-head">
            <span id={`add-auditor-${session.id}`}>Add a new auditor</span>
            <button type="button" className="icon-button icon-add" aria-label="Add a new auditor" title="Add a new auditor" onClick={addRow}>
              <PlusIcon size={20} />
            </button>
          </div>
          {rows.length === 0 && <p className="hint">No auditors. Use the add icon to choose one.</p>}
          <ul className="auditor-rows" ref={listRef}>
            {rows.map((row, i) => (
              <li key={row.key}>
                <select
                  aria-label={`Auditor ${i + 1}`}
                  value={row.userId ?? ''}
                  onChange={(e) => setRow(row.key, e.target.value === '' ? null : Number(e.target.value))}
                >
                  <option value="">Select a user…</option>
                  {row.userId !== null && !users.some((u) => u.id === row.userId) && <option value={row.userId}>{nameOf(row.userId)}</option>}
                  {users
                    .filter((u) => (!u.disabled && !chosen.has(u.id)) || u.id === row.userId)
                    .map((u) => (
                      <option key={u.id} value={u.id}>
                        {u.username}
                        {u.roles.length ? ` (${u.roles.join(', ')})` : ''}
                      </option>
                    ))}
                </select>
                <button type="button" className="icon-button" aria-label={`Remove auditor ${i + 1}`} title="Remove" onClick={() => removeRow(row.key)}>
                  <TrashIcon size={16} />
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <SuccessMessage>{saved}</SuccessMessage>
      <ErrorMessage>{error}</ErrorMessage>
    </Modal>
  );
}
