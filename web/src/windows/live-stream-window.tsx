// Live Stream: the session's screen in real time (current screen first), Hold on! to block the user, Release to unblock.

import { useEffect, useRef, useState } from 'react';
import { describeError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import type { LiveMessage, SessionItem } from '../api/wire';
import { ErrorMessage } from '../components/feedback';
import { targetOf } from '../components/format';
import { LockIcon } from '../components/icons';
import { Modal } from '../components/modal';
import { TerminalView, type TerminalSink } from '../components/terminal-view';
import { StatusBadge } from '../components/status-badge';

type LinkState = 'connecting' | 'live' | 'ended' | 'lost';

export interface LiveStreamWindowProps {
  session: SessionItem;
  onClose: () => void;
  onChanged: () => void;
}

export function LiveStreamWindow({ session, onClose, onChanged }: LiveStreamWindowProps) {
  const screen = useRef<TerminalSink>(null);
  const [link, setLink] = useState<LinkState>('connecting');
  const [endStatus, setEndStatus] = useState('');
  const [size, setSize] = useState<{ cols: number; rows: number } | null>(null);
  const [blocked, setBlocked] = useState(session.blocked);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [attempt, setAttempt] = useState(0);
  const canBlock = session.actions.includes('block');

  useEffect(() => {
    setLink('connecting');
    const ws = new WebSocket(sessionsApi.liveUrl(session.id));
    let ended = false;
    ws.onmessage = (e: MessageEvent<string>) => {
      let f: LiveMessage;
      try {
        f = JSON.parse(e.data) as LiveMessage;
      } catch {
        return;
      }
      const s = screen.current;
      if (!s) return;
      switch (f.type) {
        case 'snapshot':
          // A snapshot (first, or a resynchronisation of a slow viewer) replaces the screen entirely.
          s.reset();
          s.resize(f.cols, f.rows);
          s.write(f.data);
          setSize({ cols: f.cols, rows: f.rows });
          setLink('live');
          break;
        case 'output':
          s.write(f.data);
          break;
        case 'resize':
          s.resize(f.cols, f.rows);
          setSize({ cols: f.cols, rows: f.rows });
          break;
        case 'end':
          ended = true;
          setEndStatus(f.status);
          setLink('ended');
          onChanged();
          break;
      }
    };
    ws.onclose = () => {
      if (!ended) setLink((l) => (l === 'ended' ? l : 'lost'));
    };
    return () => {
      ended = true;
      ws.close();
    };
  }, [session.id, attempt, onChanged]);

  // The list may learn of a block made elsewhere (another viewer, the CLI).
  useEffect(() => setBlocked(session.blocked), [session.blocked]);

  async function toggleBlock() {
    setBusy(true);
    setError('');
    try {
      if (blocked) await sessionsApi.unblock(session.id);
      else await sessionsApi.block(session.id);
      setBlocked(!blocked);
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const maxWidth = Math.min(window.innerWidth - 80, 1400) - 32;
  return (
    <Modal
      title="Live Stream"
      size="xl"
      onClose={onClose}
      className="live-stream-window"
      footer={
        <>
          {canBlock && link !== 'ended' && (
            <button type="button" className={`button ${blocked ? 'button-primary' : 'button-danger'}`} onClick={toggleBlock} disabled={busy}>
              {blocked ? 'Release' : 'Hold on!'}
            </button>
          )}
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <div className="live-head">
        <span>
          <strong>{session.user}</strong> → {targetOf(session)} <span className="muted">from {session.originIp}</span>
        </span>
        <span className="live-state">
          {blocked && link !== 'ended' && (
            <span className="mark mark-blocked">
              <LockIcon size={12} /> Interactivity blocked
            </span>
          )}
          {size && (
            <span className="muted">
              {size.cols}×{size.rows}
            </span>
          )}
          <LinkBadge link={link} />
        </span>
      </div>
      <div className="terminal-frame">
        <TerminalView ref={screen} maxWidth={maxWidth} label={`Live screen of session ${session.id}`} />
        {link === 'connecting' && <div className="terminal-overlay">Connecting to the session…</div>}
      </div>
      {link === 'ended' && (
        <div className="alert alert-info" role="status">
          Session ended{endStatus ? ` (${endStatus})` : ''}.
        </div>
      )}
      {link === 'lost' && (
        <div className="alert alert-error" role="alert">
          The live stream is not available: the session may have ended, or you may not be allowed to watch it.{' '}
          <button type="button" className="link-button" onClick={() => setAttempt((a) => a + 1)}>
            Try again
          </button>
        </div>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </Modal>
  );
}

function LinkBadge({ link }: { link: LinkState }) {
  if (link === 'live') return <span className="badge status-active">● Live</span>;
  if (link === 'ended') return <StatusBadge status="completed" />;
  if (link === 'lost') return <span className="badge status-failed">Disconnected</span>;
  return <span className="badge">Connecting…</span>;
}
