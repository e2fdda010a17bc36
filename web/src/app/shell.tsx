// The console's frame: top bar (Grid Menu, product, module, user, two-factor settings, logout), side menu of the module, and the page.

import { useState, type ReactNode } from 'react';
import { describeError } from '../api/client';
import { LogoutIcon, UserIcon, VigilLogo } from '../components/icons';
import { useAuth } from './auth';
import { GridMenu } from './grid-menu';
import { Link } from './link';
import { moduleOfPath, visibleGroups } from './menu';
import { ROUTES, usePath } from './router';

export function Shell({ children }: { children: ReactNode }) {
  const { user, logout } = useAuth();
  const path = usePath();
  const [error, setError] = useState('');
  const module = moduleOfPath(path);
  const permissions = user?.permissions ?? [];

  return (
    <div className="shell">
      <header className="topbar">
        <GridMenu current={module} permissions={permissions} />
        <Link to="/" className="brand" aria-label="Vigil home">
          <VigilLogo size={22} />
          <span>Vigil</span>
        </Link>
        <span className="module-name">{module.label}</span>
        <div className="topbar-spacer" />
        {error && (
          <span className="topbar-error" role="alert">
            {error}
          </span>
        )}
        <span className="user-chip" title={user?.roles.join(', ')}>
          <UserIcon size={16} />
          {user?.username}
        </span>
        <Link to={ROUTES.accountSecurity} className="topbar-button" aria-current={path === ROUTES.accountSecurity ? 'page' : undefined}>
          Two-factor authentication
        </Link>
        <button type="button" className="topbar-button" onClick={() => logout().catch((e: unknown) => setError(describeError(e)))}>
          <LogoutIcon size={16} /> Logout
        </button>
      </header>
      <nav className="sidebar" aria-label={`${module.label} menu`}>
        {visibleGroups(module, permissions).map((g) => (
          <div className="side-group" key={g.label}>
            <div className="side-group-label">{g.label}</div>
            <ul>
              {g.entries.map((e) => (
                <li key={e.to}>
                  <Link to={e.to} className={`side-link${path.startsWith(e.to) ? ' is-active' : ''}`} aria-current={path.startsWith(e.to) ? 'page' : undefined}>
                    {e.label}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}
