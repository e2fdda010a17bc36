// Session logs: Session info, User info, Commands, Session events (and file transfers), a search box, Export CSV.

import { useEffect, useState, type FormEvent } from 'react';
import { describeError } from '../api/client';
import { logsApi } from '../api/logs-api';
import type { LogMatch, SessionItem, SessionLogs } from '../api/wire';
import { ErrorMessage, Loading } from '../components/feedback';
import { formatBytes, formatDateTime } from '../components/format';
import { DownloadIcon, SearchIcon } from '../components/icons';
import { Modal } from '../components/modal';
import { downloadFile } from '../sessions/csv';
import { InfoList } from './info-list';

export interface SessionLogsWindowProps {
  session: SessionItem;
  onClose: () => void;
}

export function SessionLogsWindow({ session, onClose }: SessionLogsWindowProps) {
  const [logs, setLogs] = useState<SessionLogs | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState('');
  const [term, setTerm] = useState('');
  const [searched, setSearched] = useState('');
  const [results, setResults] = useState<LogMatch[] | null>(null);
  const [searchError, setSearchError] = useState('');
  const [searching, setSearching] = useState(false);
  const [exportError, setExportError] = useState('');

  useEffect(() => {
    let cancelled = false;
    logsApi
      .get(session.id)
      .then((l) => !cancelled && setLogs(l))
      .catch((err: unknown) => !cancelled && setError(`Session logs could not be loaded: ${describeError(err)}`))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [session.id]);

  async function search(e: FormEvent) {
    e.preventDefault();
    const q = term.trim();
    if (!q) {
      setResults(null);
      setSearched('');
      return;
    }
    setSearching(true);
    setSearchError('');
    try {
      setResults((await logsApi.search(session.id, q)).matches ?? []);
      setSearched(q);
    } catch (err) {
      setSearchError(`Search failed: ${describeError(err)}`);
    } finally {
      setSearching(false);
    }
  }

  async function exportCsv() {
    setExportError('');
    try {
      downloadFile(`session-${session.id}-logs.csv`, await logsApi.csv(session.id));
    } catch (err) {
      setExportError(`Export failed: ${describeError(err)}`);
    }
  }

  // Session and user info come from the logs when the server sends them, from the list row otherwise.
  const info = logs?.session;
  const user = logs?.user;
  return (
    <Modal
      title="Session logs"
      size="xl"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={exportCsv}>
            <DownloadIcon size={16} /> Export CSV
          </button>
          <button type="button" className="button button-primary" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <form className="search-box" role="search" onSubmit={search}>
        <label className="field field-grow">
          <span>Search term</span>
          <input type="search" value={term} onChange={(e) => setTerm(e.target.value)} placeholder="Text typed or displayed in this session" />
        </label>
        <button type="submit" className="button" disabled={searching}>
          <SearchIcon size={16} /> {searching ? 'Searching…' : 'Search'}
        </button>
      </form>
      <ErrorMessage>{searchError}</ErrorMessage>
      <ErrorMessage>{exportError}</ErrorMessage>
      {results && (
        <section className="log-section" aria-label="Search results">
          <h3>
            Search results for “{searched}” <span className="count">{results.length}</span>
          </h3>
          {results.length === 0 ? (
            <p className="muted">Nothing typed or displayed in this session matches.</p>
          ) : (
            <ul className="search-results">
              {results.map((m, i) => (
                <li key={i}>
                  <span className="muted" title={`${m.offset.toFixed(1)} s into the session`}>
                    {formatDateTime(m.at)}
                  </span>
                  <span className="badge">{m.kind}</span>
                  <code>
                    <Highlight text={m.text} term={searched} />
                  </code>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <div className="log-columns">
        <section className="log-section">
          <h3>Session info</h3>
          <InfoList
            items={[
              ['ID', info?.id ?? session.id],
              ['Start', formatDateTime(info?.startedAt ?? session.startedAt)],
              ['End', formatDateTime(info?.endedAt ?? session.endedAt)],
              ['Type', info?.type ?? session.type],
              ['Host', info?.host ?? session.host],
              ['Username', info?.username ?? session.credential],
              ['Error message', info?.errorMessage ?? ''],
            ]}
          />
        </section>
        <section className="log-section">
          <h3>User info</h3>
          <InfoList
            items={[
              ['User', user?.user ?? session.user],
              ['User IP', user?.userIp ?? session.originIp],
            ]}
          />
        </section>
      </div>
      {loading && <Loading label="Loading session logs…" />}
      <ErrorMessage>{error}</ErrorMessage>
      {logs && (
        <>
          <section className="log-section">
            <h3>
              Commands <span className="count">{logs.commands.length}</span>
              {logs.risk.matches > 0 && (
                <span className={`badge risk-${logs.risk.max ?? 'low'}`} title="Sum of matched rule criticalities: low 1, medium 3, high 9">
                  Risk score {logs.risk.score}
                </span>
              )}
            </h3>
            <table className="data-table compact">
              <thead>
                <tr>
                  <th>Command</th>
                  <th className="col-date">Date/Time</th>
                  <th>Risk</th>
                </tr>
              </thead>
              <tbody>
                {logs.commands.map((c, i) => (
                  <tr key={i}>
                    <td>
                      <code>
                        <Highlight text={c.command} term={searched} />
                      </code>
                    </td>
                    <td className="col-date">{formatDateTime(c.at)}</td>
                    <td>
                      {c.criticality ? (
                        <span className={`badge risk-${c.criticality}`} title={c.rule ? `Rule: ${c.rule}` : undefined}>
                          {c.criticality}
                          {c.outcome !== 'executed' ? ` · ${c.outcome}` : ''}
                        </span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
                {logs.commands.length === 0 && (
                  <tr>
                    <td colSpan={3} className="muted">
                      No commands were run.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </section>
          {logs.fileTransfers.length > 0 && (
            <section className="log-section">
              <h3>File transfers</h3>
              <table className="data-table compact">
                <thead>
                  <tr>
                    <th>Path</th>
                    <th>Direction</th>
                    <th>Size</th>
                    <th className="col-date">Date/Time</th>
                  </tr>
                </thead>
                <tbody>
                  {logs.fileTransfers.map((f, i) => (
                    <tr key={i}>
                      <td>
                        <code>{f.path}</code>
                      </td>
                      <td>{f.direction}</td>
                      <td>{formatBytes(f.size)}</td>
                      <td className="col-date">{formatDateTime(f.at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <section className="log-section">
            <h3>Session events</h3>
            <table className="data-table compact">
              <thead>
                <tr>
                  <th>User</th>
                  <th className="col-date">Date/Time</th>
                  <th>Event</th>
                  <th>Note</th>
                </tr>
              </thead>
              <tbody>
                {logs.events.map((ev, i) => (
                  <tr key={i}>
                    <td>{ev.user}</td>
                    <td className="col-date">{formatDateTime(ev.at)}</td>
                    <td>{ev.event}</td>
                    <td>{ev.note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </Modal>
  );
}

/** Marks the occurrences of `term` in `text` (case-insensitive). */
export function Highlight({ text, term }: { text: string; term: string }) {
  if (!term) return <>{text}</>;
  const parts: Array<string | { m: string }> = [];
  const lower = text.toLowerCase();
  const t = term.toLowerCase();
  let i = 0;
  for (let j = lower.indexOf(t); j >= 0; j = lower.indexOf(t, i)) {
    if (j > i) parts.push(text.slice(i, j));
    parts.push({ m: text.slice(j, j + t.length) });
    i = j + t.length;
  }
  if (i < text.length) parts.push(text.slice(i));
  return <>{parts.map((p, k) => (typeof p === 'string' ? p : <mark key={k}>{p.m}</mark>))}</>;
}
