// Session status as text with a colour, and the marks for blocked and purge-protected sessions.

import type { SessionStatus } from '../api/wire';
import { LockIcon, ShieldIcon } from './icons';

const LABELS: Record<SessionStatus, string> = {
  active: 'Active',
  completed: 'Completed',
  dropped: 'Dropped',
  interrupted: 'Interrupted',
  failed: 'Failed',
};

export function StatusBadge({ status }: { status: SessionStatus }) {
  return <span className={`badge status-${status}`}>{LABELS[status] ?? status}</span>;
}

export function BlockedMark() {
  return (
    <span className="mark mark-blocked" title="User interactivity blocked (Hold on!)">
      <LockIcon size={12} /> Blocked
    </span>
  );
}

export function PurgeProtectedMark() {
  return (
    <span className="mark mark-protected" title="Protected from purge">
      <ShieldIcon size={12} /> Purge protected
    </span>
  );
}

export function PurgedMark({ at }: { at: string }) {
  return (
    <span className="mark mark-purged" title={`Recording purged on ${at}`}>
      Purged
    </span>
  );
}
