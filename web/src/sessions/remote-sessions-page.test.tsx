import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sessionsApi } from '../api/sessions-api';
import type { SessionItem, SessionListQuery, SessionPage } from '../api/wire';
import { sessionItem } from '../test-fixtures';
import { RemoteSessionsPage, toQuery } from './remote-sessions-page';
import { EMPTY_FILTERS } from './session-filters';

/** Stands in for the browser's EventSource: the test pushes `session` events. */
class FakeEventSource {
  static last: FakeEventSource | null = null;
  static readonly CLOSED = 2;
  readyState = 1;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((e: MessageEvent<string>) => void) | null = null;
  private listeners = new Map<string, (e: MessageEvent<string>) => void>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(name: string, cb: (e: MessageEvent<string>) => void) {
    this.listeners.set(name, cb);
  }
  emit(data: unknown) {
    this.listeners.get('session')?.({ data: JSON.stringify(data) } as MessageEvent<string>);
  }
  close() {
    this.readyState = 2;
  }
}

let db: SessionItem[];
const page = (q: SessionListQuery): SessionPage => ({ items: db.slice(0, 30), total: db.length, page: Number(q.page ?? 1), pageSize: 30 });

beforeEach(() => {
  vi.stubGlobal('EventSource', FakeEventSource);
  db = [sessionItem({ id: 2, user: 'bob', status: 'active', endedAt: null, actions: ['livestream', 'drop', 'block'] }), sessionItem({ id: 1, user: 'alice' })];
});
afterEach(() => vi.unstubAllGlobals());

describe('Remote Sessions', () => {
  it('lists sessions with the Segura columns, status as text, and per-row actions', async () => {
    vi.spyOn(sessionsApi, 'list').mockImplementation(async (q) => page(q));
    render(<RemoteSessionsPage />);
    const row = await screen.findByText('bob');
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent?.replace(/[▲▼↕]/g, '').trim());
    expect(headers).toEqual(['ID', 'Session ID', 'User', 'Origin IP', 'Credential', 'Device', 'Protocol', 'Start', 'End', 'Time', 'Status', 'Action']);
    const tr = row.closest('tr')!;
    expect(within(tr).getByText('Active')).toBeTruthy();
    expect(within(tr).getByRole('button', { name: 'Live Stream' })).toBeTruthy();
    expect(within(tr).queryByRole('button', { name: 'Session Logs' })).toBeNull();
  });

  it('sorts on the server when a header is clicked, and pages 30 at a time', async () => {
    const list = vi.spyOn(sessionsApi, 'list').mockImplementation(async (q) => page(q));
    render(<RemoteSessionsPage />);
    await screen.findByText('bob');
    expect(list.mock.calls[0]![0]).toMatchObject({ sort: 'startedAt', order: 'desc', page: 1, pageSize: 30 });
    fireEvent.click(screen.getByRole('button', { name: /^User/ }));
    await waitFor(() => expect(list.mock.lastCall![0]).toMatchObject({ sort: 'user', order: 'desc' }));
    fireEvent.click(screen.getByRole('button', { name: /^User/ }));
    await waitFor(() => expect(list.mock.lastCall![0]).toMatchObject({ sort: 'user', order: 'asc' }));
  });

  it('shows a new session without a reload when the server announces it', async () => {
    vi.spyOn(sessionsApi, 'list').mockImplementation(async (q) => page(q));
    render(<RemoteSessionsPage />);
    await screen.findByText('bob');
    const carol = sessionItem({ id: 3, user: 'carol', status: 'active', endedAt: null });
    db = [carol, ...db];
    act(() => FakeEventSource.last!.emit({ kind: 'started', id: 3, session: carol }));
    expect(await screen.findByText('carol', undefined, { timeout: 3000 })).toBeTruthy();
  });

  it('updates a row in place when its session ends', async () => {
    vi.spyOn(sessionsApi, 'list').mockImplementation(async (q) => page(q));
    render(<RemoteSessionsPage />);
    const bob = await screen.findByText('bob');
    act(() => FakeEventSource.last!.emit({ kind: 'ended', id: 2, session: sessionItem({ id: 2, user: 'bob', status: 'dropped' }) }));
    expect(within(bob.closest('tr')!).getByText('Dropped')).toBeTruthy();
  });

  it('turns the filter form into API parameters, leaving empty fields out', () => {
    const q = toQuery({ ...EMPTY_FILTERS, user: ' alice ', status: 'active', preventPurge: 'true' }, { field: 'id', order: 'asc' });
    expect(Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined))).toEqual({ user: 'alice', status: 'active', preventPurge: 'true', sort: 'id', order: 'asc' });
  });
});
