// Wire types the console uses: re-exported from the API's zod schemas (src/api/schemas.ts), never re-typed here.

import type { z } from 'zod';
import type {
  SESSION_ACTION_VALUES,
  credentialSchema,
  currentUserSchema,
  deviceSchema,
  grantSchema,
  roleSchema,
  totpConfirmResponseSchema,
  userSchema,
} from '../../../src/api/schemas';

export type {
  AuditSessionItem,
  AuditorsResponse,
  LogMatch,
  PlayerChunk,
  PlayerInfo,
  SessionAuditResponse as SessionAudit,
  SessionLogsResponse as SessionLogs,
  VideoJob,
  LiveMessage,
  LoginRequest,
  LoginResponse,
  MeResponse,
  Problem,
  SessionBlockItem,
  SessionChange,
  SessionItem,
  SessionListQuery,
  SessionPage,
  Settings,
  SettingKey,
  TotpStart,
  TotpStatus,
} from '../../../src/api/schemas';
export { PERMISSION_NAMES, SESSION_SORT_VALUES, SETTING_KEYS } from '../../../src/api/schemas';

export type SessionAction = (typeof SESSION_ACTION_VALUES)[number];
export type SessionStatus = import('../../../src/api/schemas').SessionItem['status'];
export type AuthUser = z.infer<typeof currentUserSchema>;
export type User = z.infer<typeof userSchema>;
export type Role = z.infer<typeof roleSchema>;
export type Device = z.infer<typeof deviceSchema>;
export type Credential = z.infer<typeof credentialSchema>;
export type Grant = z.infer<typeof grantSchema>;
export type TotpConfirmResponse = z.infer<typeof totpConfirmResponseSchema>;

