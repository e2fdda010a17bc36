// History routing: the current path as React state, and navigation without reload (the server falls back to index.html).

import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(cb: () => void): () => void {
  listeners.add(cb);
  window.addEventListener('popstate', cb);
  return () => {
    listeners.delete(cb);
    window.removeEventListener('popstate', cb);
  };
}

/** Goes to `path` within the console. */
export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const cb of listeners) cb();
}

/** The current location path (without query). */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname);
}

/** Console routes, in one place so menus and pages agree. */
export const ROUTES = {
  login: '/login',
  remoteSessions: '/pam/access-control/remote-sessions',
  sessionBlocks: '/pam/access-control/session-blocks',
  auditSessions: '/pam/audit/sessions',
  users: '/admin/users',
  roles: '/admin/roles',
  devices: '/admin/devices',
  credentials: '/admin/credentials',
  grants: '/admin/grants',
  settings: '/admin/settings',
  accountSecurity: '/account/security',
} as const;
