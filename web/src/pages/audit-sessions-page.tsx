// Audit > Sessions for audit: the sessions I am an auditor of; comment, mark audited, see the session audit.

import { useState, type FormEvent } from 'react';
import { auditApi, COMMENT_MAX } from '../api/audit-api';
import { describeError } from '../api/client';
import type { AuditSessionItem } from '../api/wire';
import { PageHeader } from '../app/page-header';
import { ErrorMessage, Loading, SuccessMessage } from '../components/feedback';
import { formatDateTime, formatDuration, targetOf } from '../components/format';
import { BarsIcon, RefreshIcon } from '../components/icons';
import { Modal } from '../components/modal';
import { Pager } from '../components/pager';
import { StatusBadge } from '../components/status-badge';
import { useLoad } from '../components/use-load';
import { SessionLogsWindow } from '../windows/session-logs-window';

type Open = { kind: 'comment' | 'audit' | 'logs'; session: AuditSessionItem };

export function AuditSessionsPage() {
  const [page, setPage] = useState(1);
  const list = useLoad(() => auditApi.sessions(page), [page]);
  const [open, setOpen] = useState<Open | null>(null);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');

  async function markAudited(s: AuditSessionItem) {
    setError('');
    setDone('');
    try {
      await auditApi.markAudited(s.id);
      setDone(`Session ${s.id} marked as audited.`);
      list.reload();
    } catch (err) {
      setError(describeError(err));
    }
  }

  const notYet = list.error && /does not offer this yet|Not found/i.test(list.error);
  const items = list.data?.items ?? [];
  return (
    <section className="page">
      <PageHeader
        title="Sessions for audit"
        crumbs={['PAM Core', 'Audit', 'Sessions for audit']}
        actions={
          <button type="button" className="button" onClick={list.reload}>
            <RefreshIcon size={16} /> Update
          </button>
        }
      />
      {notYet ? <div className="alert alert-info">Sessions for audit is not available on this server yet.</div> : <ErrorMessage>{list.error}</ErrorMessage>}
      <ErrorMessage>{error}</ErrorMessage>
      <SuccessMessage>{done}</SuccessMessage>
      <div className="card table-card">
        <table className="data-table">
          <thead>
            <tr>
              <th className="col-id">ID</th>
              <th>User</th>
              <th>Credential</th>
              <th>Device</th>
              <th className="col-date">Start</th>
              <th className="col-time">Time</th>
              <th>Status</th>
              <th>Audited</th>
              <th className="col-action">Action</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id} data-session-id={s.id}>
                <td className="col-id">{s.id}</td>
                <td>{s.user}</td>
                <td>{s.credential}</td>
                <td>{s.device}</td>
                <td className="col-date">{formatDateTime(s.startedAt)}</td>
                <td className="col-time">{formatDuration(s.durationSeconds)}</td>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td>{s.audited ? <span className="badge status-active">Yes</span> : <span className="badge">No</span>}</td>
                <td className="col-action">
                  <div className="action-buttons">
                    {s.actions?.includes('logs') && (
                      <button type="button" className="icon-button" title="Session Logs" aria-label="Session Logs" onClick={() => setOpen({ kind: 'logs', session: s })}>
                        <BarsIcon size={16} />
                      </button>
                    )}
                    <button type="button" className="button button-small" onClick={() => setOpen({ kind: 'comment', session: s })}>
                      Comment session
                    </button>
                    {!s.audited && (
                      <button type="button" className="button button-small" onClick={() => markAudited(s)}>
                        Audit
                      </button>
                    )}
                    <button type="button" className="button button-small" onClick={() => setOpen({ kind: 'audit', session: s })}>
                      Session audit
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.loading && !list.data && <Loading />}
        {list.data && items.length === 0 && <p className="empty">You are not an auditor of any session.</p>}
        {list.data && list.data.total > list.data.pageSize && <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} onPage={setPage} />}
      </div>
      {open?.kind === 'comment' && <CommentWindow session={open.session} onClose={() => setOpen(null)} onDone={list.reload} />}
      {open?.kind === 'audit' && <SessionAuditWindow session={open.session} onClose={() => setOpen(null)} />}
      {open?.kind === 'logs' && <SessionLogsWindow session={open.session} onClose={() => setOpen(null)} />}
    </section>
  );
}

function CommentWindow({ session, onClose, onDone }: { session: AuditSessionItem; onClose: () => void; onDone: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await auditApi.comment(session.id, text.trim());
      setDone('Comment saved.');
      setText('');
      onDone();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      title="Comment session"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="submit" form="comment-form" className="button button-primary" disabled={busy || !text.trim()}>
            Save
          </button>
        </>
      }
    >
      <p>
        Session {session.id}: {session.user} → {targetOf(session)}
      </p>
      <form id="comment-form" onSubmit={submit}>
        <div className="field field-block">
          <label htmlFor="comment-text">Comment</label>
          <textarea id="comment-text" rows={5} maxLength={COMMENT_MAX} value={text} onChange={(e) => setText(e.target.value)} />
          <small className="counter">
            {text.length}/{COMMENT_MAX}
          </small>
        </div>
      </form>
      <SuccessMessage>{done}</SuccessMessage>
      <ErrorMessage>{error}</ErrorMessage>
    </Modal>
  );
}

function SessionAuditWindow({ session, onClose }: { session: AuditSessionItem; onClose: () => void }) {
  const audit = useLoad(() => auditApi.detail(session.id), [session.id]);
  const notFound = audit.error && audit.data === null;
  return (
    <Modal
      title="Session audit"
      onClose={onClose}
      footer={
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      }
    >
      {audit.loading && <Loading />}
      {notFound && <ErrorMessage>{audit.error}</ErrorMessage>}
      {audit.data && (
        <>
          <h3>Auditors</h3>
          <ul className="plain-list">
            {audit.data.auditors.map((a) => (
              <li key={a.id}>
                {a.username} {a.audited ? <span className="badge status-active">Audited {formatDateTime(a.auditedAt)}</span> : <span className="badge">Not audited</span>}
              </li>
            ))}
          </ul>
          <h3>Comments</h3>
          {audit.data.comments.length === 0 ? (
            <p className="muted">No comments.</p>
          ) : (
            <ul className="comment-list">
              {audit.data.comments.map((c, i) => (
                <li key={i}>
                  <div className="muted">
                    {c.user} · {formatDateTime(c.at)}
                  </div>
                  <div className="comment-text">{c.text}</div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Modal>
  );
}

