// Gives every live session of the hub its command log (reconstruction, rules, search index) and keeps the rules fresh.

import type { Clock } from '../../core/clock.js';
import type { CommandRepo, SearchIndex } from '../../core/session-logs.js';
import type { HubChange, HubLogger } from '../session-hub.js';
import { RuleCache } from './rule-cache.js';
import type { RecordingIndexer } from './search-follower.js';
import { SessionCommands, type MonitoredSession } from './session-commands.js';

export interface CommandMonitorOptions {
  commands: Pick<CommandRepo, 'add' | 'setOutput'>;
  index: Pick<SearchIndex, 'addLines'>;
  recordings?: RecordingIndexer;
  rules: RuleCache;
  /** Ends a session naming the rule (hub.drop as Vigil). */
  drop(sessionId: number, reason: string): Promise<void>;
  clock: Clock;
  logger: HubLogger;
  maxExcerpt?: number;
}

/** What the monitor watches: the hub's session changes and its live sessions. */
export interface MonitoredHub {
  onChange(listener: (c: HubChange) => void): () => void;
  get(id: number): MonitoredSession | undefined;
}

export class CommandMonitor {
  private readonly finishing = new Set<Promise<void>>();
  private readonly live = new Map<number, SessionCommands>();

  constructor(private readonly o: CommandMonitorOptions) {}

  /** Attaches to every session the hub starts from now on; returns the detach function. */
  watch(hub: MonitoredHub): () => void {
    return hub.onChange((c) => {
      // 'started' is emitted once the live session exists and before any of its data flows.
      if (c.kind !== 'started') return;
      const live = hub.get(c.session.id);
      if (live) this.attach(live);
    });
  }

  attach(live: MonitoredSession): SessionCommands {
    const s = new SessionCommands({
      session: live,
      commands: this.o.commands,
      index: this.o.index,
      recordings: this.o.recordings,
      rules: () => this.o.rules.current(),
      drop: this.o.drop,
      clock: this.o.clock,
      maxExcerpt: this.o.maxExcerpt,
      onError: (what, err) => this.o.logger.error({ sessionId: live.record.sessionId, err: err instanceof Error ? err.message : String(err) }, `command log: ${what} failed`),
    });
    this.live.set(live.record.id, s);
    const detach = live.addTap({
      output: (d) => s.output(d),
      resize: (c, r) => s.resize(c, r),
      end: () => {
        detach();
        this.live.delete(live.record.id);
        const done = s.done();
        this.finishing.add(done);
        void done.finally(() => this.finishing.delete(done));
      },
    });
    return s;
  }

  /** The hub's admission check: an exec command a deny or interrupt rule matches is refused, naming the rule. */
  async admit(session: { record: { id: number } }): Promise<string | null> {
    return (await this.live.get(session.record.id)?.refusal()) ?? null;
  }

  /** Resolves once the logs of the sessions that ended are stored (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.finishing]);
  }
}
