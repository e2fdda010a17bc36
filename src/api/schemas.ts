// The wire types of the REST API, defined once with zod; the web console imports them (so these files import only zod and core's dependency-free permission table). Primitives, auth and TOTP: schemas-auth.ts.

import { z } from 'zod';
import { wireId as id, wireTimestamp as timestamp } from './schemas-auth.js';

export * from './schemas-auth.js';

// ---- sessions ----

export const SESSION_STATUS_VALUES = ['active', 'completed', 'dropped', 'interrupted', 'failed'] as const;
export const SESSION_ACTION_VALUES = ['livestream', 'drop', 'block', 'logs', 'video', 'preventPurge', 'auditors'] as const;
export const SESSION_SORT_VALUES = ['id', 'sessionId', 'user', 'originIp', 'credential', 'device', 'protocol', 'startedAt', 'endedAt', 'status'] as const;
export const sessionStatusSchema = z.enum(SESSION_STATUS_VALUES);
export const sessionActionSchema = z.enum(SESSION_ACTION_VALUES);

export const sessionItemSchema = z
  .object({
    id,
    sessionId: z.string(),
    user: z.string(),
    originIp: z.string(),
    credential: z.string(),
    device: z.string(),
    host: z.string(),
    protocol: z.enum(['SSH', 'SFTP']),
    type: z.enum(['shell', 'exec', 'sftp']),
    command: z.string().nullable(),
    status: sessionStatusSchema,
    startedAt: timestamp,
    endedAt: timestamp.nullable(),
    durationSeconds: z.number().describe('Seconds from start to end, or to now while active'),
    exitStatus: z.number().int().nullable(),
    bytesIn: z.number().int(),
    bytesOut: z.number().int(),
    endReason: z.string().nullable(),
    errorMessage: z.string().nullable(),
    droppedBy: z.string().nullable(),
    recordingSize: z.number().int().nullable(),
    recordingDuration: z.number().nullable(),
    recordingSha256: z.string().nullable(),
    recordingStoredSize: z.number().int().nullable().describe('Bytes the recording takes on disk once compressed after close; null until then'),
    preventPurge: z.boolean(),
    purgedAt: timestamp.nullable(),
    blocked: z.boolean().describe("The session's user has lost interactivity or is prevented from starting sessions"),
    actions: z.array(sessionActionSchema).describe('What the caller may do with this session now'),
  })
  .meta({ id: 'SessionItem' });
export type SessionItem = z.infer<typeof sessionItemSchema>;

const dateFilter = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
/** A "contains" filter: no stored value has control characters, and a NUL would end the text the index is searched with. */
const containsFilter = (max: number) => z.string().max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
export const sessionListQuerySchema = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  sessionId: containsFilter(128).optional(),
  user: containsFilter(256).optional(),
  credential: containsFilter(256).optional(),
  device: containsFilter(256).optional(),
  originIp: containsFilter(256).optional(),
  protocol: z.enum(['SSH', 'SFTP']).optional(),
  status: sessionStatusSchema.optional(),
  startFrom: dateFilter.optional(),
  startTo: dateFilter.optional(),
  preventPurge: z.enum(['true', 'false']).optional(),
  sort: z.enum(SESSION_SORT_VALUES).default('id'),
  order: z.enum(['asc', 'desc']).default('desc'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(30),
});
export type SessionListQuery = z.input<typeof sessionListQuerySchema>;
export const sessionPageSchema = z.object({ items: z.array(sessionItemSchema), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
export type SessionPage = z.infer<typeof sessionPageSchema>;

/** One message of GET /sessions/events (SSE `data:`): a session appeared, changed, ended, or is no longer visible to you. */
export const sessionChangeSchema = z.object({
  kind: z.enum(['started', 'updated', 'ended', 'removed']),
  id,
  session: sessionItemSchema.nullable(),
});
export type SessionChange = z.infer<typeof sessionChangeSchema>;

export const dropRequestSchema = z.object({ reason: z.string().trim().max(500).optional() }).optional();
export const justificationSchema = z.object({ justification: z.string().trim().min(1, 'a justification is required').max(1000) });
export const auditorsRequestSchema = z.object({ userIds: z.array(id).max(100) });
export const auditorsResponseSchema = z.object({ auditors: z.array(z.object({ id, username: z.string() })) });
export type AuditorsResponse = z.infer<typeof auditorsResponseSchema>;

export const sessionBlockSchema = z.object({
  id,
  userId: id,
  user: z.string(),
  sessionId: id.nullable(),
  blockedBy: z.string(),
  blockedAt: timestamp,
  releasedBy: z.string().nullable(),
  releasedAt: timestamp.nullable(),
  active: z.boolean(),
});
export const sessionBlocksResponseSchema = z.object({ items: z.array(sessionBlockSchema) });
export type SessionBlockItem = z.infer<typeof sessionBlockSchema>;

/** A message of the Live Stream WebSocket (JSON text frames, server to viewer only). */
export const liveMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), cols: z.number().int(), rows: z.number().int(), data: z.string(), seq: z.number().int() }),
  z.object({ type: z.literal('output'), data: z.string(), seq: z.number().int() }),
  z.object({ type: z.literal('resize'), cols: z.number().int(), rows: z.number().int() }),
  z.object({ type: z.literal('end'), status: z.string() }),
]);
export type LiveMessage = z.infer<typeof liveMessageSchema>;

// ---- administration ----

export const userSchema = z.object({
  id,
  username: z.string(),
  disabled: z.boolean(),
  roles: z.array(z.string()),
  createdAt: timestamp,
  totpEnrolled: z.boolean(),
  lockedUntil: timestamp.nullable(),
  keys: z.array(z.object({ fingerprint: z.string(), type: z.string(), comment: z.string() })),
});
export const createUserSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().max(1024).optional(),
  roles: z.array(z.string().max(64)).max(50).optional(),
  publicKey: z.string().max(16 * 1024).optional(),
});
export const patchUserSchema = z
  .object({ disabled: z.boolean().optional(), roles: z.array(z.string().max(64)).max(50).optional(), password: z.string().max(1024).optional() })
  .refine((b) => b.disabled !== undefined || b.roles !== undefined || b.password !== undefined, 'nothing to change');
export const roleSchema = z.object({ id, name: z.string(), permissions: z.array(z.string()) });
export const upsertRoleSchema = z.object({ name: z.string().min(1).max(64), permissions: z.array(z.string().max(64)).max(100) });
export const deviceSchema = z.object({ id, name: z.string(), host: z.string(), port: z.number().int(), hostKey: z.string().nullable(), trustOnFirstUse: z.boolean(), createdAt: timestamp });
export const createDeviceSchema = z.object({
  name: z.string().min(1).max(64),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).optional(),
  hostKey: z.string().max(16 * 1024).optional(),
  trustOnFirstUse: z.boolean().default(false),
});
export const credentialSchema = z.object({ id, deviceId: id, deviceName: z.string(), account: z.string(), kind: z.enum(['password', 'key']), createdAt: timestamp });
export const createCredentialSchema = z
  .object({
    device: z.string().min(1).max(64),
    account: z.string().min(1).max(64),
    password: z.string().min(1).max(64 * 1024).optional(),
    privateKey: z.string().min(1).max(64 * 1024).optional(),
  })
  .refine((b) => (b.password === undefined) !== (b.privateKey === undefined), 'give exactly one of password and privateKey');
export const grantSchema = z.object({ id, userId: id, username: z.string(), credentialId: id, credential: z.string(), allowPortForwarding: z.boolean(), createdAt: timestamp });
export const createGrantSchema = z.object({ userId: id, credentialId: id, allowPortForwarding: z.boolean().default(false) });

export const auditEntrySchema = z.object({ id, at: timestamp, actor: z.string(), action: z.string(), target: z.string(), details: z.string(), prevHash: z.string(), hash: z.string() });
export const auditQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), offset: z.coerce.number().int().min(0).default(0) });
export const auditVerifySchema = z.object({ ok: z.boolean(), problems: z.array(z.string()) });

/** Known settings and their validation; PUT /settings/{key} accepts only these. */
export const settingsSchema = z.object({
  'retention.days': z.number().int().min(1).max(3650),
  'auditors.default': z.array(id).max(100),
  'recording.onFailure': z.enum(['drop', 'continue']),
  'auth.requireTotp': z.boolean().describe('Require TOTP of every user: one without it may log in to the console only to enrol, and the gateway refuses them'),
});
export type Settings = z.infer<typeof settingsSchema>;
export const SETTING_KEYS = ['retention.days', 'auditors.default', 'recording.onFailure', 'auth.requireTotp'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];
export const SETTING_DEFAULTS: Settings = { 'retention.days': 90, 'auditors.default': [], 'recording.onFailure': 'drop', 'auth.requireTotp': false };
export const settingParams = z.object({ key: z.enum(SETTING_KEYS) });
export const putSettingSchema = z.object({ value: z.unknown() });

export const healthSchema = z.object({ status: z.literal('ok') });
export const okSchema = z.object({ ok: z.literal(true) });

// ---- Session Video (issue 5) ----

const seconds = z.number().describe('Seconds from the start of the recording');
/** GET /sessions/{id}/player: what the in-browser player needs before it plays. */
export const playerInfoSchema = z
  .object({
    duration: seconds,
    cols: z.number().int(),
    rows: z.number().int(),
    size: z.number().int().nullable().describe('Bytes of the recording'),
    idle: z.array(z.object({ start: seconds, end: seconds })).describe('Pauses longer than 2 s (skip idle)'),
    markers: z.array(z.object({ time: seconds, kind: z.enum(['command', 'event']), label: z.string() })),
  })
  .meta({ id: 'PlayerInfo' });
export type PlayerInfo = z.infer<typeof playerInfoSchema>;

const queryTime = z.coerce.number().min(0).max(1e9);
export const playerChunkQuerySchema = z
  .object({
    t: queryTime.optional().describe('Seek: the nearest keyframe at or before t, then the events after it'),
    at: queryTime.optional().describe('Alias of t'),
    after: queryTime.optional().describe('Continue: the events strictly after this time (a previous chunk\'s `next`)'),
  })
  .refine((q) => [q.t, q.at, q.after].filter((v) => v !== undefined).length === 1, 'give exactly one of t and after');

/** One bounded piece of a recording: a keyframe (seek only) and the output/resize events after it, up to `to`. */
export const playerChunkSchema = z
  .object({
    from: seconds,
    to: seconds.describe('Events up to and including this time are in this chunk'),
    keyframe: z
      .object({ time: seconds, cols: z.number().int(), rows: z.number().int(), data: z.string().describe('Write into a fresh terminal of cols×rows') })
      .nullable(),
    events: z.array(z.tuple([z.number(), z.enum(['o', 'r']), z.string()])).describe('[time, "o" output | "r" resize "COLSxROWS", data], all later than the keyframe'),
    next: z.number().nullable().describe('Pass as `after` for the following chunk; null at the end'),
    done: z.boolean(),
  })
  .meta({ id: 'PlayerChunk' });
export type PlayerChunk = z.infer<typeof playerChunkSchema>;

/** GET|POST /sessions/{id}/video: the Generate video for download job. */
export const videoJobSchema = z
  .object({
    state: z.enum(['queued', 'running', 'done', 'failed']),
    percent: z.number().int().min(0).max(100),
    error: z.string().nullable(),
    size: z.number().int().nullable().describe('Bytes of the MP4 once done'),
  })
  .meta({ id: 'VideoJob' });
export type VideoJob = z.infer<typeof videoJobSchema>;
export const videoQuerySchema = z.object({ download: z.enum(['1', 'true']).optional().describe('Download the MP4 instead of the job state') });

// ---- Session Logs, search across sessions, audited-command rules, Sessions for audit (issue 4) ----

export const CRITICALITY_VALUES = ['low', 'medium', 'high'] as const;
export const RULE_ACTION_VALUES = ['allow_log', 'deny', 'interrupt'] as const;
const criticality = z.enum(CRITICALITY_VALUES);

export const commandRuleSchema = z
  .object({
    id,
    name: z.string(),
    pattern: z.string().describe('JavaScript regular expression, tried on each command of a line after quotes and escapes are undone'),
    scope: z.string().describe('global, device:NAME, credential:ACCOUNT@DEVICE or user:NAME'),
    criticality,
    action: z.enum(RULE_ACTION_VALUES).describe('allow_log: run and log; deny: never sent to the target, the user is told; interrupt: the session is dropped'),
    createdAt: timestamp,
    createdBy: z.string(),
  })
  .meta({ id: 'CommandRule' });
export type CommandRuleItem = z.infer<typeof commandRuleSchema>;
export const commandRulesResponseSchema = z.object({ items: z.array(commandRuleSchema) });
export const createCommandRuleSchema = z.object({
  name: z.string().trim().min(1).max(64),
  pattern: z.string().min(1).max(512),
  scope: z.string().trim().max(300).default('global'),
  criticality: criticality.default('medium'),
  action: z.enum(RULE_ACTION_VALUES).default('allow_log'),
});
export type CreateCommandRule = z.input<typeof createCommandRuleSchema>;
export const ruleNameParams = z.object({ name: z.string().min(1).max(64) });

export const logsQuerySchema = z.object({
  q: z.string().trim().min(1).max(200).optional().describe('Search everything typed (commands) and displayed (output) in the session'),
  format: z.enum(['json', 'csv']).default('json'),
});
export const logMatchSchema = z.object({ at: timestamp, offset: z.number().describe('Seconds since the session started'), kind: z.enum(['command', 'output']), text: z.string() });
export type LogMatch = z.infer<typeof logMatchSchema>;
export const logCommandSchema = z.object({
  id,
  command: z.string().describe('As executed: after line editing, completion and history; "(input not echoed)" for input typed at a prompt that hid it'),
  at: timestamp,
  offset: z.number(),
  source: z.enum(['shell', 'stdin', 'exec']).describe('shell: typed at a prompt; stdin: a line sent to a shell without a terminal (a script piped to it); exec: the command of an exec request'),
  outcome: z.enum(['executed', 'denied', 'interrupted']),
  criticality: criticality.nullable(),
  rule: z.string().nullable(),
  action: z.enum(RULE_ACTION_VALUES).nullable(),
  output: z.string().nullable().describe('The first ~2 KiB the command displayed, up to the next prompt'),
});
export const sessionLogsSchema = z
  .object({
    session: z.object({
      id,
      sessionId: z.string(),
      startedAt: timestamp,
      endedAt: timestamp.nullable(),
      type: z.string().describe('Protocol and channel, e.g. "SSH shell" or "SSH exec: uptime"'),
      protocol: z.enum(['SSH', 'SFTP']),
      host: z.string(),
      device: z.string(),
      credential: z.string(),
      username: z.string().describe('The target account'),
      status: sessionStatusSchema,
      exitStatus: z.number().int().nullable(),
      errorMessage: z.string().nullable(),
    }),
    user: z.object({ user: z.string(), userIp: z.string() }),
    commands: z.array(logCommandSchema),
    risk: z.object({ score: z.number().int().describe('Sum of matched criticalities: low 1, medium 3, high 9'), max: criticality.nullable(), matches: z.number().int() }),
    events: z.array(z.object({ id, user: z.string(), at: timestamp, event: z.string(), note: z.string() })),
    fileTransfers: z.array(z.object({ at: timestamp, user: z.string(), path: z.string(), direction: z.string(), size: z.number().int().nullable() })).describe('From File transfer session events'),
    search: z.object({ q: z.string(), truncated: z.boolean(), source: z.enum(['recording', 'index']) }).nullable(),
    matches: z.array(logMatchSchema).optional().describe('With ?q=: the commands and displayed lines that contain it, in time order'),
  })
  .meta({ id: 'SessionLogs' });
export type SessionLogsResponse = z.infer<typeof sessionLogsSchema>;

export const searchQuerySchema = z.object({ q: z.string().trim().min(1).max(200) });
export const searchResponseSchema = z
  .object({
    q: z.string(),
    sessions: z.array(z.object({ session: sessionItemSchema, matches: z.array(logMatchSchema) })),
    truncated: z.boolean().describe('More matched than returned: refine the search'),
  })
  .meta({ id: 'SearchResult' });
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const auditSessionItemSchema = sessionItemSchema.extend({ audited: z.boolean().describe('You marked it audited'), auditedAt: timestamp.nullable() }).meta({ id: 'AuditSessionItem' });
export type AuditSessionItem = z.infer<typeof auditSessionItemSchema>;
export const auditSessionPageSchema = z.object({ items: z.array(auditSessionItemSchema), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
export const auditSessionsQuerySchema = z.object({ page: z.coerce.number().int().min(1).max(1_000_000).default(1), pageSize: z.coerce.number().int().min(1).max(200).default(30) });
export const commentRequestSchema = z
  .object({ text: z.string().max(4000).optional().describe('At most 500 characters once trimmed'), comment: z.string().max(4000).optional().describe('Alias of text') })
  .refine((b) => b.text !== undefined || b.comment !== undefined, 'text is required');
export const sessionCommentSchema = z.object({ id, userId: id, user: z.string(), at: timestamp, text: z.string() }).meta({ id: 'SessionComment' });
export const sessionAuditSchema = z
  .object({
    session: sessionItemSchema.nullable(),
    auditors: z.array(z.object({ id, username: z.string(), audited: z.boolean(), auditedAt: timestamp.nullable() })),
    comments: z.array(sessionCommentSchema),
  })
  .meta({ id: 'SessionAudit' });
export type SessionAuditResponse = z.infer<typeof sessionAuditSchema>;
