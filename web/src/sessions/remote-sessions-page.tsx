// PAM Core > Access Control > Remote Sessions: the filtered, sorted, paged list, updated live, and its windows.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, describeError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import type { SessionChange, SessionListQuery, SessionPage } from '../api/wire';
import { ErrorMessage, Loading } from '../components/feedback';
import { localInputToIso } from '../components/format';
import { DownloadIcon, FilterIcon, RefreshIcon } from '../components/icons';
import { Pager } from '../components/pager';
import { PageHeader } from '../app/page-header';
import { downloadFile } from './csv';
import { exportSessionsCsv } from './export-sessions';
import { activeFilterCount, EMPTY_FILTERS, SessionFilters, type SessionFilterValues } from './session-filters';
import { SessionWindows, type OpenWindow } from './session-windows';
import { SessionsTable, type SortState } from './sessions-table';
import { useSessionEvents, type EventsState } from './use-session-events';

export const PAGE_SIZE = 30;
const REFETCH_DEBOUNCE_MS = 400;

/** The filter form as GET /sessions parameters; empty fields are left out. */
export function toQuery(f: SessionFilterValues, sort: SortState): SessionListQuery {
  const text = (v: string) => v.trim() || undefined;
  return {
    id: text(f.id),
    sessionId: text(f.sessionId),
    user: text(f.user),
    credential: text(f.credential),
    device: text(f.device),
    originIp: text(f.originIp),
    protocol: (f.protocol || undefined) as SessionListQuery['protocol'],
    status: (f.status || undefined) as SessionListQuery['status'],
    startFrom: localInputToIso(f.startFrom) || undefined,
    startTo: localInputToIso(f.startTo) || undefined,
    preventPurge: f.preventPurge || undefined,
    sort: sort.field as SessionListQuery['sort'],
    order: sort.order,
  };
}

export function RemoteSessionsPage() {
  const [filters, setFilters] = useState<SessionFilterValues>(EMPTY_FILTERS);
  const [sort, setSort] = useState<SortState>({ field: 'startedAt', order: 'desc' });
  const [page, setPage] = useState(1);
  const [data, setData] = useState<SessionPage | null>(null);
  const [error, setError] = useState('');
  const [refused, setRefused] = useState('');
  const [loading, setLoading] = useState(false);
  const [reloadTick, setReloadTick] = useState(0);
  const [showFilters, setShowFilters] = useState(false);
  const [open, setOpen] = useState<OpenWindow | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);
  const [exportError, setExportError] = useState('');
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());
  const now = useNow(!!data?.items.some((s) => s.status === 'active'));

  const query = useMemo(() => toQuery(filters, sort), [filters, sort]);
  const reload = useCallback(() => setReloadTick((t) => t + 1), []);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    sessionsApi
      .list({ ...query, page, pageSize: PAGE_SIZE }, ctl.signal)
      .then((res) => {
        setData(res);
        setError('');
        setRefused('');
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        // No right to see sessions (and auditor of none) is a state of this user, not a failure.
        if (err instanceof ApiError && err.status === 403) setRefused(describeError(err));
        else setError(describeError(err));
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
  }, [query, page, reloadTick]);

  // Live updates: patch the row in place at once, then refetch the page so filters, order and totals stay exact.
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const onChange = useCallback(
    (c: SessionChange) => {
      const changed = c.session;
      setData((d) => {
        if (!d) return d;
        const i = d.items.findIndex((s) => s.id === c.id);
        if (i < 0) return d;
        const items = d.items.slice();
        // "removed": the session is no longer visible to me (e.g. I was removed as its auditor).
        if (c.kind === 'removed' || !changed) items.splice(i, 1);
        else items[i] = changed;
        return { ...d, items };
      });
      if (c.kind === 'started') {
        const id = c.id;
        setFresh((f) => new Set(f).add(id));
        setTimeout(() => setFresh((f) => new Set([...f].filter((x) => x !== id))), 5000);
      }
      if (refetchTimer.current) clearTimeout(refetchTimer.current);
      refetchTimer.current = setTimeout(reload, REFETCH_DEBOUNCE_MS);
    },
    [reload],
  );
  useEffect(() => () => void (refetchTimer.current && clearTimeout(refetchTimer.current)), []);
  const events = useSessionEvents(onChange);

  async function exportCsv() {
    setExportError('');
    setExporting('Preparing…');
    try {
      const csv = await exportSessionsCsv(query, (done, total) => setExporting(`Exporting ${done.toLocaleString()} of ${total.toLocaleString()}…`));
      downloadFile(`remote-sessions-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv`, csv);
    } catch (err) {
      setExportError(`Export failed: ${describeError(err)}`);
    } finally {
      setExporting(null);
    }
  }

  const items = data?.items ?? [];
  // The window follows the latest data of its session (blocked, preventPurge) while it is open.
  const openSession = open ? (items.find((s) => s.id === open.session.id) ?? open.session) : null;
  const nFilters = activeFilterCount(filters);

  return (
    <section className="page">
      <PageHeader
        title="Remote Sessions"
        crumbs={['PAM Core', 'Access Control', 'Remote Sessions']}
        actions={
          <>
            <LiveIndicator state={events} />
            <button type="button" className={`button${showFilters ? ' is-pressed' : ''}`} aria-expanded={showFilters} onClick={() => setShowFilters((v) => !v)}>
              <FilterIcon size={16} /> {showFilters ? 'Hide filters' : 'Show filters'}
              {nFilters > 0 && <span className="count">{nFilters}</span>}
            </button>
            <button type="button" className="button" onClick={reload} disabled={loading}>
              <RefreshIcon size={16} /> Update
            </button>
            <button type="button" className="button" onClick={exportCsv} disabled={exporting !== null}>
              <DownloadIcon size={16} /> {exporting ?? 'Export CSV'}
            </button>
          </>
        }
      />
      {showFilters && (
        <SessionFilters
          value={filters}
          onApply={(f) => {
            setFilters(f);
            setPage(1);
          }}
        />
      )}
      {refused && <div className="alert alert-info">There are no sessions you may see. {refused}</div>}
      <ErrorMessage>{error}</ErrorMessage>
      <ErrorMessage>{exportError}</ErrorMessage>
      {!(refused && !data) && (
        <div className="card table-card">
          <div className="table-scroll">
            <SessionsTable
              items={items}
              sort={sort}
              onSort={(s) => {
                setSort(s);
                setPage(1);
              }}
              onAction={(action, session) => setOpen({ action, session })}
              now={now}
              highlight={fresh}
            />
            {!data && loading && <Loading />}
            {data && items.length === 0 && <p className="empty">No sessions match{nFilters > 0 ? ' the filters' : ''}.</p>}
          </div>
          {data && <Pager page={data.page || page} pageSize={data.pageSize || PAGE_SIZE} total={data.total} onPage={setPage} />}
        </div>
      )}
      {open && openSession && <SessionWindows action={open.action} session={openSession} onClose={() => setOpen(null)} onChanged={reload} />}
    </section>
  );
}

function LiveIndicator({ state }: { state: EventsState }) {
  const label = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', unavailable: 'Live updates off' }[state];
  return (
    <span className={`live-indicator live-${state}`} title="New and changed sessions appear without reload">
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** The current time, ticking each second while `ticking` (for the running Time of active sessions). */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);
  return now;
}

