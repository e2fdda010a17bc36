// The exact texts a user sees, as SPEC section 2 quotes them.

export const MESSAGES = {
  disconnected: 'You have been disconnected',
  blocked: 'Session interaction revoked',
  released: 'Interactivity restored. User may interact with the session!',
  preventedToStart: (author: string, when: string) => `User has been prevented to start sessions by ${author} on ${when}`,
} as const;

/** "2026-11-27 20:33:43 UTC": unambiguous for a user reading it in a terminal. */
export function formatBlockTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
