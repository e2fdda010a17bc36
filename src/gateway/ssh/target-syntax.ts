// Parses the SSH login name: `alice[root@web01]` (Vigil user, credential account, device) or plain `alice` (menu).

/** A credential on a device, as the user names it: `account@device`. */
export interface TargetRef {
  account: string;
  device: string;
}

/** What the SSH username asks for. */
export type LoginTarget =
  | { kind: 'direct'; user: string; target: TargetRef }
  | { kind: 'menu'; user: string }
  /** The user part is usable for authentication, but the bracketed target is not; refused after login. */
  | { kind: 'malformed'; user: string; problem: string };

/** Longest login name accepted; OpenSSH itself allows far less. */
export const MAX_LOGIN_LENGTH = 512;

// Printable ASCII without brackets or whitespace; account and device names never need more.
const NAME = /^[\x21-\x7e]+$/;

/**
 * Splits a login name at the first '[' and, inside the brackets, at the last '@' (an account may contain '@').
 * The Vigil user is returned even when the target part is malformed, so the user is told why after logging in.
 */
export function parseLogin(login: string): LoginTarget {
  const open = login.indexOf('[');
  if (open === -1) return { kind: 'menu', user: login };
  const user = login.slice(0, open);
  if (login.length > MAX_LOGIN_LENGTH) return { kind: 'malformed', user, problem: 'the login name is too long' };
  if (!login.endsWith(']')) return { kind: 'malformed', user, problem: "the target must end with ']'" };
  const inner = login.slice(open + 1, -1);
  if (/[[\]]/.test(inner)) return { kind: 'malformed', user, problem: "brackets cannot be nested" };
  const at = inner.lastIndexOf('@');
  if (at === -1) return { kind: 'malformed', user, problem: "the target must be written account@device" };
  const account = inner.slice(0, at);
  const device = inner.slice(at + 1);
  if (!account || !device) return { kind: 'malformed', user, problem: 'the target must name both an account and a device' };
  if (!NAME.test(account) || !NAME.test(device)) return { kind: 'malformed', user, problem: 'the target contains spaces or control characters' };
  return { kind: 'direct', user, target: { account, device } };
}

/** `account@device`, the label Vigil shows and stores for a credential. */
export function formatTarget(t: TargetRef): string {
  return `${t.account}@${t.device}`;
}

/** Splits a stored label `account@device` at its last '@'. */
export function splitCredentialLabel(label: string): TargetRef | null {
  const at = label.lastIndexOf('@');
  if (at <= 0 || at === label.length - 1) return null;
  return { account: label.slice(0, at), device: label.slice(at + 1) };
}
