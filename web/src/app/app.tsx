// The console: login gate, shell and the page of the current route.

import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Loading } from '../components/feedback';
import { AuditSessionsPage } from '../pages/audit-sessions-page';
import { SecurityPage } from '../pages/security-page';
import { SessionBlocksPage } from '../pages/session-blocks-page';
import { RemoteSessionsPage } from '../sessions/remote-sessions-page';
import { AuthProvider, useAuth } from './auth';
import { LoginPage } from './login-page';
import { navigate, ROUTES, usePath } from './router';
import { Shell } from './shell';

// Administration pages load on first visit: most console users never open them.
const UsersPage = lazy(() => import('../pages/admin/users-page').then((m) => ({ default: m.UsersPage })));
const RolesPage = lazy(() => import('../pages/admin/roles-page').then((m) => ({ default: m.RolesPage })));
const DevicesPage = lazy(() => import('../pages/admin/devices-page').then((m) => ({ default: m.DevicesPage })));
const CredentialsPage = lazy(() => import('../pages/admin/credentials-page').then((m) => ({ default: m.CredentialsPage })));
const GrantsPage = lazy(() => import('../pages/admin/grants-page').then((m) => ({ default: m.GrantsPage })));
const SettingsPage = lazy(() => import('../pages/admin/settings-page').then((m) => ({ default: m.SettingsPage })));

const PAGES: Record<string, { title: string; render: () => ReactNode }> = {
  [ROUTES.remoteSessions]: { title: 'Remote Sessions', render: () => <RemoteSessionsPage /> },
  [ROUTES.sessionBlocks]: { title: 'Users with session block', render: () => <SessionBlocksPage /> },
  [ROUTES.auditSessions]: { title: 'Sessions for audit', render: () => <AuditSessionsPage /> },
  [ROUTES.users]: { title: 'Users', render: () => <UsersPage /> },
  [ROUTES.roles]: { title: 'Roles', render: () => <RolesPage /> },
  [ROUTES.devices]: { title: 'Devices', render: () => <DevicesPage /> },
  [ROUTES.credentials]: { title: 'Credentials', render: () => <CredentialsPage /> },
  [ROUTES.grants]: { title: 'Grants', render: () => <GrantsPage /> },
  [ROUTES.settings]: { title: 'Settings', render: () => <SettingsPage /> },
  [ROUTES.accountSecurity]: { title: 'Two-factor authentication', render: () => <SecurityPage /> },
};

function Routed() {
  const { user, totpEnrolmentRequired } = useAuth();
  const path = usePath();
  const page = totpEnrolmentRequired ? PAGES[ROUTES.accountSecurity] : PAGES[path];

  useEffect(() => {
    if (user === null && path !== ROUTES.login) navigate(`${ROUTES.login}`, { replace: true });
    // A session that may only enrol has nothing else to show: every other call would be refused.
    else if (user && totpEnrolmentRequired && path !== ROUTES.accountSecurity) navigate(ROUTES.accountSecurity, { replace: true });
    else if (user && (path === ROUTES.login || !page)) navigate(ROUTES.remoteSessions, { replace: true });
  }, [user, totpEnrolmentRequired, path, page]);

  useEffect(() => {
    document.title = `${user ? (page?.title ?? 'Vigil') : 'Log in'} · Vigil`;
  }, [user, page]);

  if (user === undefined) return <Loading label="Starting Vigil…" />;
  if (user === null) return <LoginPage />;
  return (
    <Shell>
      <Suspense fallback={<Loading />}>{page ? page.render() : null}</Suspense>
    </Shell>
  );
}

export function App() {
  return (
    <AuthProvider>
      <Routed />
    </AuthProvider>
  );
}
