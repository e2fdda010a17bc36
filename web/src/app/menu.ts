// The modules of the Grid Menu and the side menu of each, with the permission each entry needs.

import { ROUTES } from './router';

export interface MenuEntry {
  label: string;
  to: string;
  /** Shown when the user has any of these; always shown when absent. */
  anyOf?: readonly string[];
}

export interface MenuGroup {
  label: string;
  entries: MenuEntry[];
}

export interface Module {
  id: 'pam' | 'admin';
  label: string;
  description: string;
  home: string;
  groups: MenuGroup[];
}

export const MODULES: readonly Module[] = [
  {
    id: 'pam',
    label: 'PAM Core',
    description: 'Privileged sessions: watch, control, audit',
    home: ROUTES.remoteSessions,
    groups: [
      {
        label: 'Access Control',
        entries: [
          { label: 'Remote Sessions', to: ROUTES.remoteSessions },
          { label: 'Users with session block', to: ROUTES.sessionBlocks, anyOf: ['PAM.SessionManagement.Block', 'PAM.SessionManagement.View'] },
        ],
      },
      { label: 'Audit', entries: [{ label: 'Sessions for audit', to: ROUTES.auditSessions }] },
    ],
  },
  {
    id: 'admin',
    label: 'Administration',
    description: 'Users, roles, vault and settings',
    home: ROUTES.users,
    groups: [
      {
        label: 'Identity',
        entries: [
          { label: 'Users', to: ROUTES.users, anyOf: ['System.Users.Manage'] },
          { label: 'Roles', to: ROUTES.roles, anyOf: ['System.Users.Manage'] },
        ],
      },
      {
        label: 'Vault',
        entries: [
          { label: 'Devices', to: ROUTES.devices, anyOf: ['PAM.Vault.Manage'] },
          { label: 'Credentials', to: ROUTES.credentials, anyOf: ['PAM.Vault.Manage'] },
          { label: 'Grants', to: ROUTES.grants, anyOf: ['PAM.Vault.Manage'] },
        ],
      },
      { label: 'System', entries: [{ label: 'Settings', to: ROUTES.settings, anyOf: ['System.Settings.Manage'] }] },
    ],
  },
];

export function allowed(e: MenuEntry, permissions: readonly string[]): boolean {
  return !e.anyOf || e.anyOf.some((p) => permissions.includes(p));
}

/** The module's groups and entries the user may see; empty groups dropped. */
export function visibleGroups(m: Module, permissions: readonly string[]): MenuGroup[] {
  return m.groups.map((g) => ({ ...g, entries: g.entries.filter((e) => allowed(e, permissions)) })).filter((g) => g.entries.length > 0);
}

export function moduleOfPath(path: string): Module {
  return MODULES.find((m) => m.groups.some((g) => g.entries.some((e) => path.startsWith(e.to)))) ?? MODULES[0]!;
}
