// The few lines that tell which session a window is about.

import type { SessionItem } from '../api/wire';
import { formatDateTime, targetOf } from '../components/format';
import { StatusBadge } from '../components/status-badge';

export function SessionSummary({ session }: { session: SessionItem }) {
  return (
    <dl className="summary">
      <div>
        <dt>ID</dt>
        <dd>{session.id}</dd>
      </div>
      <div>
        <dt>User</dt>
        <dd>{session.user}</dd>
      </div>
      <div>
        <dt>Target</dt>
        <dd>{targetOf(session)}</dd>
      </div>
      <div>
        <dt>Start</dt>
        <dd>{formatDateTime(session.startedAt)}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={session.status} />
        </dd>
      </div>
    </dl>
  );
}
