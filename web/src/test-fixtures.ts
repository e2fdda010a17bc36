// Sample wire objects for the console's unit tests.

import type { SessionItem, User } from './api/wire';

export function sessionItem(over: Partial<SessionItem> = {}): SessionItem {
  return {
    id: 7,
    sessionId: '0123456789abcdef0123456789abcdef',
    user: 'alice',
    originIp: '192.0.2.10',
    credential: 'root',
    device: 'web01',
    host: '10.0.0.5:22',
    protocol: 'SSH',
    type: 'shell',
    command: null,
    status: 'completed',
    startedAt: '2026-03-01T09:00:00.000Z',
    endedAt: '2026-03-01T09:05:00.000Z',
    durationSeconds: 300,
    exitStatus: 0,
    bytesIn: 10,
    bytesOut: 2000,
    endReason: 'exit',
    errorMessage: null,
    droppedBy: null,
    recordingSize: 2048,
    recordingDuration: 299.5,
    recordingSha256: 'ab'.repeat(32),
    recordingStoredSize: 9_000,
    preventPurge: false,
    purgedAt: null,
    blocked: false,
    actions: ['logs', 'video', 'preventPurge', 'auditors'],
    ...over,
  };
}

export function user(id: number, username: string, roles = ['PAM Auditor']): User {
  return { id, username, roles, disabled: false, createdAt: '2026-03-01T09:00:00.000Z', totpEnrolled: false, lockedUntil: null, keys: [] };
}
