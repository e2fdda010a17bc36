// Domain objects to wire objects (dates as ISO strings, no internal fields such as recording paths or secrets).

import type { Actor, Permission, SessionAction } from '../core/permissions.js';
import type { SessionView } from '../core/session-access.js';
import type { SessionRecord } from '../core/types.js';
import type { AuditEntry, Credential, Device, Grant, Role, SessionBlock, SessionStatus } from '../core/types.js';
import type { UserSummary } from '../core/user-admin.js';
import type { SESSION_ACTION_VALUES, SESSION_STATUS_VALUES, PERMISSION_NAMES, SessionBlockItem, SessionItem } from './schemas.js';
import type { z } from 'zod';
import type { auditEntrySchema, credentialSchema, currentUserSchema, deviceSchema, grantSchema, roleSchema, userSchema } from './schemas.js';

// The wire enums repeat core's lists (the console must not import core); these lines fail to compile if they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameActions: Same<(typeof SESSION_ACTION_VALUES)[number], SessionAction> = true;
const sameStatuses: Same<(typeof SESSION_STATUS_VALUES)[number], SessionStatus> = true;
const samePermissions: Same<(typeof PERMISSION_NAMES)[number], Permission> = true;
void [sameActions, sameStatuses, samePermissions];

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toSessionItem(v: SessionView, now: Date): SessionItem {
  const s: SessionRecord = v.session;
  const end = s.endedAt ?? (s.status === 'active' ? now : s.startedAt);
  return {
    id: s.id,
    sessionId: s.sessionId,
    user: s.user,
    originIp: s.originIp,
    credential: s.credential,
    device: s.device,
    host: s.host,
    protocol: s.protocol,
    type: s.type,
    command: s.command,
    status: s.status,
    startedAt: s.startedAt.toISOString(),
    endedAt: iso(s.endedAt),
    durationSeconds: Math.max(0, Math.round((end.getTime() - s.startedAt.getTime()) / 1000)),
    exitStatus: s.exitStatus,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    endReason: s.endReason,
    errorMessage: s.errorMessage,
    droppedBy: s.droppedBy,
    recordingSize: s.recordingSize,
    recordingDuration: s.recordingDuration,
    recordingSha256: s.recordingSha256,
    recordingStoredSize: s.recordingStoredSize,
    preventPurge: s.preventPurge,
    purgedAt: iso(s.purgedAt),
    blocked: v.blocked,
    actions: [...v.actions],
  };
}

export function toCurrentUser(a: Actor): z.infer<typeof currentUserSchema> {
  return { id: a.userId, username: a.username, roles: [...a.roles], permissions: [...a.permissions].sort() };
}

export function toBlock(b: SessionBlock): SessionBlockItem {
  return {
    id: b.id,
    userId: b.userId,
    user: b.user,
    sessionId: b.sessionId,
    blockedBy: b.blockedBy,
    blockedAt: b.blockedAt.toISOString(),
    releasedBy: b.releasedBy,
    releasedAt: iso(b.releasedAt),
    active: b.releasedAt === null,
  };
}

export function toUser(u: UserSummary): z.infer<typeof userSchema> {
  return {
    id: u.id,
    username: u.username,
    disabled: u.disabled,
    roles: u.roles,
    createdAt: u.createdAt.toISOString(),
    totpEnrolled: u.totpEnrolled,
    lockedUntil: iso(u.lockedUntil),
    keys: u.keys,
  };
}

export function toRole(r: Role): z.infer<typeof roleSchema> {
  return { id: r.id, name: r.name, permissions: r.permissions };
}

export function toDevice(d: Device): z.infer<typeof deviceSchema> {
  return { id: d.id, name: d.name, host: d.host, port: d.port, hostKey: d.hostKey, trustOnFirstUse: d.trustOnFirstUse, createdAt: d.createdAt.toISOString() };
}

export function toCredential(c: Credential): z.infer<typeof credentialSchema> {
  return { id: c.id, deviceId: c.deviceId, deviceName: c.deviceName, account: c.account, kind: c.kind, createdAt: c.createdAt.toISOString() };
}

export function toGrant(g: Grant): z.infer<typeof grantSchema> {
  return { id: g.id, userId: g.userId, username: g.username, credentialId: g.credentialId, credential: g.credential, allowPortForwarding: g.allowPortForwarding, createdAt: g.createdAt.toISOString() };
}

export function toAuditEntry(e: AuditEntry): z.infer<typeof auditEntrySchema> {
  return { id: e.id, at: e.at.toISOString(), actor: e.actor, action: e.action, target: e.target, details: e.details, prevHash: e.prevHash, hash: e.hash };
}
