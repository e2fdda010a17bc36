// Permission names, seeded roles, and the access rules of SPEC section 1 — the single source of truth for who may do what.

export const PERMISSIONS = [
  'PAM.Access.Connect',
  'PAM.SessionManagement.View',
  'PAM.SessionManagement.Livestream',
  'PAM.SessionManagement.Recording',
  'PAM.SessionManagement.Logs',
  'PAM.SessionManagement.Drop',
  'PAM.SessionManagement.Block',
  'PAM.SessionManagement.PreventPurge',
  'PAM.SessionManagement.Auditors',
  'PAM.Vault.Manage',
  'System.Users.Manage',
  'System.Settings.Manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_SYSTEM_ADMIN = 'System Administrator';
export const ROLE_PAM_ADMIN = 'PAM Administrator';
export const ROLE_PAM_AUDITOR = 'PAM Auditor';
export const ROLE_PAM_USER = 'PAM User';

/** Roles created on first start, with their permissions. */
export const SEEDED_ROLES: ReadonlyArray<{ name: string; permissions: readonly Permission[] }> = [
  { name: ROLE_SYSTEM_ADMIN, permissions: PERMISSIONS },
  { name: ROLE_PAM_ADMIN, permissions: PERMISSIONS.filter((p) => p.startsWith('PAM.')) },
  {
    name: ROLE_PAM_AUDITOR,
    permissions: [
      'PAM.SessionManagement.View',
      'PAM.SessionManagement.Livestream',
      'PAM.SessionManagement.Recording',
      'PAM.SessionManagement.Logs',
    ],
  },
  { name: ROLE_PAM_USER, permissions: ['PAM.Access.Connect'] },
];

/** Roles of which the caller must hold one, besides the permission, for Live Stream and Session Video. */
export const VIEWING_ROLES: readonly string[] = [ROLE_SYSTEM_ADMIN, ROLE_PAM_ADMIN, ROLE_PAM_AUDITOR];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** Who is asking: resolved once per request/connection from the store. */
export interface Actor {
  userId: number;
  username: string;
  roles: readonly string[];
  permissions: ReadonlySet<Permission>;
}

/** Actions of the Remote Sessions Action column (and the API), as the API's `actions` field names them. */
export const SESSION_ACTIONS = ['livestream', 'drop', 'block', 'logs', 'video', 'preventPurge', 'auditors'] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

/** What the rules need to know of a session. */
export interface SessionFacts {
  active: boolean;
  /** True when the actor is a configured auditor of this session. */
  actorIsAuditor: boolean;
}

export function hasPermission(actor: Actor, p: Permission): boolean {
  return actor.permissions.has(p);
}

function hasViewingRole(actor: Actor): boolean {
  return actor.roles.some((r) => VIEWING_ROLES.includes(r));
}

/** May the actor see this session at all (list, detail)? */
export function canSeeSession(actor: Actor, s: SessionFacts): boolean {
  return hasPermission(actor, 'PAM.SessionManagement.View') || s.actorIsAuditor;
}

/**
 * The single rule table: may `actor` take `action` on a session with facts `s`?
 * State rules (active/completed) are part of it so the UI and the API agree.
 */
export function mayAct(actor: Actor, action: SessionAction, s: SessionFacts): boolean {
  if (!canSeeSession(actor, s)) return false;
  switch (action) {
    case 'livestream':
      return s.active && hasViewingRole(actor) && hasPermission(actor, 'PAM.SessionManagement.Livestream');
    case 'video':
      return !s.active && hasViewingRole(actor) && hasPermission(actor, 'PAM.SessionManagement.Recording');
    case 'logs':
      return !s.active && (hasPermission(actor, 'PAM.SessionManagement.Logs') || s.actorIsAuditor);
    case 'drop':
      return s.active && hasPermission(actor, 'PAM.SessionManagement.Drop');
    case 'block':
      return s.active && hasPermission(actor, 'PAM.SessionManagement.Block');
    case 'preventPurge':
      return hasPermission(actor, 'PAM.SessionManagement.PreventPurge');
    case 'auditors':
      return hasPermission(actor, 'PAM.SessionManagement.Auditors');
  }
}

/** The actions the actor may take on the session, in Action-column order. */
export function allowedActions(actor: Actor, s: SessionFacts): SessionAction[] {
  return SESSION_ACTIONS.filter((a) => mayAct(actor, a, s));
}

/**
 * Why an action is refused, distinguishing a state problem (409) from a rights problem (403).
 * Returns null when allowed.
 */
export function refusal(actor: Actor, action: SessionAction, s: SessionFacts): 'denied' | 'state' | null {
  if (mayAct(actor, action, s)) return null;
  const flipped = { ...s, active: !s.active };
  const stateDependent = ['livestream', 'video', 'logs', 'drop', 'block'].includes(action);
  if (stateDependent && mayAct(actor, action, flipped)) return 'state';
  return 'denied';
}
