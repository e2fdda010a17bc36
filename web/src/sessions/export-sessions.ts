// Export CSV of Remote Sessions: every session matching the current filter, fetched page by page from the API.

import { ApiError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import type { SessionItem, SessionListQuery } from '../api/wire';
import { SESSION_CSV_HEADER, sessionCsvRow, toCsv } from './csv';

/** The API's largest page (schemas: pageSize ≤ 200), then a smaller one should a server cap lower. */
const PAGE_SIZES = [200, 100] as const;
/** A bound so an export of a huge history cannot exhaust the tab's memory. */
export const EXPORT_MAX_ROWS = 100_000;

/** Fetches every page of the query and returns the CSV text; `onProgress` gets (fetched, total). */
export async function exportSessionsCsv(query: SessionListQuery, onProgress?: (done: number, total: number) => void, now = Date.now()): Promise<string> {
  const items: SessionItem[] = [];
  let pageSize: number = PAGE_SIZES[0];
  let page = 1;
  for (;;) {
    let res;
    try {
      res = await sessionsApi.list({ ...query, page, pageSize });
    } catch (err) {
      // A server that caps pageSize lower answers 400: retry the same page smaller.
      if (err instanceof ApiError && err.status === 400 && pageSize !== PAGE_SIZES[1] && page === 1) {
        pageSize = PAGE_SIZES[1];
        continue;
      }
      throw err;
    }
    items.push(...res.items);
    onProgress?.(items.length, res.total);
    if (res.items.length === 0 || items.length >= res.total || items.length >= EXPORT_MAX_ROWS) break;
    page++;
  }
  return toCsv([SESSION_CSV_HEADER, ...items.map((s) => sessionCsvRow(s, now))]);
}
