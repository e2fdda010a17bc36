// Opens the window of an Action-column icon for one session.

import { lazy, Suspense } from 'react';
import type { SessionItem } from '../api/wire';
import { AuditorsWindow } from '../windows/auditors-window';
import { DropSessionWindow } from '../windows/drop-session-window';
import { PreventPurgeWindow } from '../windows/prevent-purge-window';
import { SessionLogsWindow } from '../windows/session-logs-window';

// The windows with a terminal (xterm.js) load when first opened.
const LiveStreamWindow = lazy(() => import('../windows/live-stream-window').then((m) => ({ default: m.LiveStreamWindow })));
const SessionVideoWindow = lazy(() => import('../windows/session-video-window').then((m) => ({ default: m.SessionVideoWindow })));
import type { WindowAction } from './action-buttons';

export interface OpenWindow {
  action: WindowAction;
  session: SessionItem;
}

export interface SessionWindowsProps {
  action: WindowAction;
  session: SessionItem;
  onClose: () => void;
  /** The session changed on the server (drop, block, purge flag, auditors): the list refreshes. */
  onChanged: () => void;
}

export function SessionWindows(props: SessionWindowsProps) {
  return (
    <Suspense fallback={null}>
      <Window {...props} />
    </Suspense>
  );
}

function Window({ action, session, onClose, onChanged }: SessionWindowsProps) {
  switch (action) {
    case 'livestream':
      return <LiveStreamWindow session={session} onClose={onClose} onChanged={onChanged} />;
    case 'drop':
      return <DropSessionWindow session={session} onClose={onClose} onChanged={onChanged} />;
    case 'logs':
      return <SessionLogsWindow session={session} onClose={onClose} />;
    case 'video':
      return <SessionVideoWindow session={session} onClose={onClose} />;
    case 'preventPurge':
      return <PreventPurgeWindow session={session} onClose={onClose} onChanged={onChanged} />;
    case 'auditors':
      return <AuditorsWindow session={session} onClose={onClose} onChanged={onChanged} />;
  }
}
