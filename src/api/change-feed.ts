// Session changes pushed to list subscribers: the hub's own (start, block, end) and those made through the API (purge protection, auditors).

import type { HubChange } from '../hub/session-hub.js';

/** A change, and the users who may have lost sight of the session through it (auditors removed). */
export type FeedChange = HubChange & { revokedFor?: readonly number[] };

/** The hub's change stream, as the feed needs it. */
export interface HubChanges {
  onChange(listener: (c: HubChange) => void): () => void;
}

export class ChangeFeed {
  private readonly listeners = new Set<(c: FeedChange) => void>();

  constructor(private readonly hub: HubChanges) {}

  /** Subscribes to every change; returns the unsubscribe function. */
  subscribe(listener: (c: FeedChange) => void): () => void {
    this.listeners.add(listener);
    const off = this.hub.onChange(listener);
    return () => {
      off();
      this.listeners.delete(listener);
    };
  }

  /** Announces a change the hub does not know about. */
  publish(change: FeedChange): void {
    for (const l of [...this.listeners]) l(change);
  }

  /** Resolves with the ended session when `id` ends within `timeoutMs`, else with null. */
  waitForEnd(id: number, timeoutMs: number): { promise: Promise<HubChange['session'] | null>; cancel(): void } {
    let off: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<HubChange['session'] | null>((resolve) => {
      off = this.subscribe((c) => {
        if (c.kind === 'ended' && c.session.id === id) {
          cleanup();
          resolve(c.session);
        }
      });
      timer = setTimeout(() => {
        cleanup();
        resolve(null);
      }, timeoutMs);
    });
    function cleanup() {
      off();
      clearTimeout(timer);
    }
    return { promise, cancel: cleanup };
  }
}
