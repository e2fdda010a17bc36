// The API's wire primitives (ids, timestamps, problem documents) and its auth and TOTP messages, with zod;
// re-exported by schemas.ts, which the web console imports (so this file imports only zod and core's permission table).

import { PERMISSIONS } from '../core/permissions.js';
import { z } from 'zod';

export const wireId = z.number().int().positive();
const id = wireId;
export const wireTimestamp = z.string().describe('ISO-8601 date-time, UTC');
const timestamp = wireTimestamp;

/**
 * A numeric id in a path, written one way only: digits without sign, leading zero, space, fraction or exponent
 * (a coerced number would also take "0x1", "1e0" or " 1" for 1).
 */
export const wirePathId = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive whole number written in digits')
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, 'is too large'));
/** `{id}` path parameter. */
export const idParams = z.object({ id: wirePathId });
export const userIdParams = z.object({ userId: wirePathId });

// ---- problems (RFC 9457) ----

export const fieldIssueSchema = z.object({ path: z.string(), message: z.string() });
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(fieldIssueSchema).optional().describe('Field issues of a request that failed validation'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

// ---- auth ----

/** The permission names, from the one rule table in core (imported, not re-listed). */
export const PERMISSION_NAMES = PERMISSIONS;

export const loginRequestSchema = z.object({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
  totp: z.string().max(16).optional().describe('TOTP code, required when the user is enrolled'),
});
export const currentUserSchema = z.object({ id, username: z.string(), roles: z.array(z.string()), permissions: z.array(z.string()) }).meta({ id: 'CurrentUser' });
export const loginResponseSchema = z.object({
  token: z.string().describe('Bearer token for scripts and the CLI; the browser uses the vigil_session cookie instead'),
  csrfToken: z.string().describe('Send as X-CSRF-Token on state-changing requests authenticated by the cookie'),
  expiresAt: timestamp,
  user: currentUserSchema,
  totpEnrolmentRequired: z.boolean().optional().describe('TOTP is required of everyone and you have not enrolled: this token may only enrol (POST /me/totp) and log out'),
});
export const meResponseSchema = z.object({
  user: currentUserSchema,
  csrfToken: z.string(),
  expiresAt: timestamp,
  totpEnrolmentRequired: z.boolean().optional().describe('TOTP is required of everyone and you have not enrolled: this token may only enrol (POST /me/totp) and log out'),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;
export type LoginResponse = z.infer<typeof loginResponseSchema>;
export type MeResponse = z.infer<typeof meResponseSchema>;

// ---- TOTP enrolment ----

const totpCode = z.string().max(16).describe('The current 6-digit code of the authenticator app');
export const totpStatusSchema = z
  .object({
    enrolled: z.boolean(),
    pending: z.boolean().describe('An enrolment was started and waits for its confirming code'),
    required: z.boolean().describe('The auth.requireTotp setting: every user must enrol'),
  })
  .meta({ id: 'TotpStatus' });
export const totpStartSchema = z
  .object({
    secret: z.string().describe('Base32 secret, shown once: type it into an authenticator app, or scan the URI'),
    uri: z.string().describe('otpauth://totp/... URI (for a QR code), shown once'),
    expiresAt: timestamp.describe('Confirm before this time, or start again'),
  })
  .meta({ id: 'TotpStart' });
export const totpCodeRequestSchema = z.object({ code: totpCode });
export const totpConfirmResponseSchema = z.object({
  enrolled: z.literal(true),
  reauthenticate: z.boolean().describe('This token could only enrol and is now revoked: log in again with a code'),
});
export type TotpStatus = z.infer<typeof totpStatusSchema>;
export type TotpStart = z.infer<typeof totpStartSchema>;
