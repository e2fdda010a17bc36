// The one configuration schema, validated once at start-up; inner code receives typed options, never process.env.

import path from 'node:path';
import { z } from 'zod';

/** "HOST:PORT", with IPv6 hosts in brackets ("[::1]:2222"). */
export const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 0.0.0.0:2222 or [::1]:2222')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    const host = s.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(s.slice(i + 1));
    return { host, port };
  })
  .refine((a) => a.port >= 0 && a.port <= 65535, 'port must be 0..65535');

/** Limits on the SSH port; a source is one client IP address. Numbers may come from environment strings. */
export const sshLimitsSchema = z.object({
  /** Connections (logged in or not) one source address may hold at once. */
  maxConnectionsPerSource: z.coerce.number().int().min(1).default(200),
  /** Connections not yet logged in one source address may hold at once. */
  maxUnauthenticatedPerSource: z.coerce.number().int().min(1).default(20),
  /** Connections not yet logged in, from all sources together. */
  maxUnauthenticated: z.coerce.number().int().min(1).default(500),
  /** A connection that has not logged in after this long (handshake and authentication) is closed. */
  loginTimeoutMs: z.coerce.number().int().min(100).default(30_000),
});

export const configSchema = z.object({
  dataDir: z.string().min(1),
  sshListen: listenAddress.prefault('0.0.0.0:2222'),
  httpListen: listenAddress.prefault('127.0.0.1:8080'),
  /** Base64 or hex master key; when absent, DATA_DIR/master.key is used (created 0600). */
  masterKey: z.string().optional(),
  adminPassword: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  sshLimits: sshLimitsSchema.prefault({}),
  /** Compression of closed recordings (seekable gzip); `VIGIL_COMPRESSION=off` keeps them as written. */
  compression: z
    .object({
      enabled: z.union([z.boolean(), z.enum(['on', 'off']).transform((v) => v === 'on')]).default(true),
      /** Time between runs of the compression job. */
      intervalMs: z.coerce.number().int().min(100).default(60_000),
      /** How long after its session ends a recording is left as written. */
      settleMs: z.coerce.number().int().min(0).default(30_000),
    })
    .prefault({}),
  /** scrypt cost; lowered only by tests. */
  passwordHashCost: z.number().int().min(1024).default(1 << 15),
});

export type VigilConfigInput = z.input<typeof configSchema>;
export type VigilConfig = z.output<typeof configSchema>;

/** Files and folders under the data directory. */
export function dataPaths(dataDir: string) {
  const root = path.resolve(dataDir);
  return {
    root,
    database: path.join(root, 'vigil.db'),
    recordings: path.join(root, 'recordings'),
    hostKey: path.join(root, 'ssh_host_ed25519_key'),
    masterKey: path.join(root, 'master.key'),
    videos: path.join(root, 'videos'),
    logs: path.join(root, 'logs'),
  };
}

/** Validates raw options, turning zod's issues into one readable message. */
export function parseConfig(input: VigilConfigInput): VigilConfig {
  const r = configSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${msg}`);
  }
  return r.data;
}
