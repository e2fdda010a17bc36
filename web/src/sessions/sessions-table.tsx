// The Remote Sessions table: sortable headers (server-side), status and marks, and the Action column.

import type { SessionItem } from '../api/wire';
import { formatDateTime, formatDuration, sessionSeconds } from '../components/format';
import { BlockedMark, PurgedMark, PurgeProtectedMark, StatusBadge } from '../components/status-badge';
import { ActionButtons, type WindowAction } from './action-buttons';

export interface SortState {
  field: string;
  order: 'asc' | 'desc';
}

const COLUMNS: ReadonlyArray<{ label: string; sort?: string; className?: string }> = [
  { label: 'ID', sort: 'id', className: 'col-id' },
  { label: 'Session ID', sort: 'sessionId', className: 'col-hash' },
  { label: 'User', sort: 'user' },
  { label: 'Origin IP', sort: 'originIp' },
  { label: 'Credential', sort: 'credential' },
  { label: 'Device', sort: 'device' },
  { label: 'Protocol', sort: 'protocol' },
  { label: 'Start', sort: 'startedAt', className: 'col-date' },
  { label: 'End', sort: 'endedAt', className: 'col-date' },
  { label: 'Time', className: 'col-time' },
  { label: 'Status', sort: 'status' },
  { label: 'Action', className: 'col-action' },
];

export interface SessionsTableProps {
  items: SessionItem[];
  sort: SortState;
  onSort: (s: SortState) => void;
  onAction: (action: WindowAction, s: SessionItem) => void;
  now: number;
  highlight?: ReadonlySet<number>;
}

export function SessionsTable({ items, sort, onSort, onAction, now, highlight }: SessionsTableProps) {
  return (
    <table className="data-table sessions-table">
      <thead>
        <tr>
          {COLUMNS.map((c) => {
            const active = c.sort && sort.field === c.sort;
            const ariaSort = active ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined;
            return (
              <th key={c.label} className={c.className} aria-sort={ariaSort} scope="col">
                {c.sort ? (
                  <button
                    type="button"
                    className={`sort-button${active ? ' is-sorted' : ''}`}
                    onClick={() => onSort({ field: c.sort!, order: active && sort.order === 'desc' ? 'asc' : 'desc' })}
                  >
                    {c.label}
                    <span className="sort-arrow" aria-hidden="true">
                      {active ? (sort.order === 'asc' ? '▲' : '▼') : '↕'}
                    </span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {items.map((s) => (
          <tr key={s.id} data-session-id={s.id} className={highlight?.has(s.id) ? 'row-new' : undefined}>
            <td className="col-id">{s.id}</td>
            <td className="col-hash">
              <code title={s.sessionId}>{s.sessionId.slice(0, 8)}</code>
            </td>
            <td>{s.user}</td>
            <td>{s.originIp}</td>
            <td>{s.credential}</td>
            <td title={s.host}>{s.device}</td>
            <td>{s.protocol}</td>
            <td className="col-date">
              <DateCell iso={s.startedAt} />
            </td>
            <td className="col-date">
              <DateCell iso={s.endedAt} />
            </td>
            <td className="col-time">{formatDuration(sessionSeconds(s, now))}</td>
            <td className="col-status">
              <div className="status-stack">
                <StatusBadge status={s.status} />
                {s.blocked && <BlockedMark />}
                {s.preventPurge && <PurgeProtectedMark />}
                {s.purgedAt && <PurgedMark at={formatDateTime(s.purgedAt)} />}
              </div>
            </td>
            <td className="col-action">
              <ActionButtons session={s} onAction={(a) => onAction(a, s)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Date over time, so the two date columns stay narrow enough for 1280-pixel screens. */
function DateCell({ iso }: { iso: string | null }) {
  const text = formatDateTime(iso);
  if (!text) return null;
  const [date, time] = text.split(' ');
  return (
    <time dateTime={iso ?? undefined} className="date-cell">
      <span>{date}</span>
      <span>{time}</span>
    </time>
  );
}
