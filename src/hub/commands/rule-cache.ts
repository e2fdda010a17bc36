// The rules the live enforcer applies: loaded from the store, compiled once, reloaded when told or every few seconds
// (another process, the CLI, may have changed them).

import { compileRules, type CompiledRule, type RuleRepo } from '../../core/command-rules.js';

export class RuleCache {
  private compiled: CompiledRule[] = [];
  private loadedAt = -Infinity;
  private loading: Promise<CompiledRule[]> | null = null;

  constructor(private readonly repo: Pick<RuleRepo, 'list'>, private readonly maxAgeMs = 2000) {}

  async current(): Promise<readonly CompiledRule[]> {
    if (Date.now() - this.loadedAt < this.maxAgeMs) return this.compiled;
    this.loading ??= this.repo
      .list()
      .then(
        (rules) => {
          this.compiled = compileRules(rules);
          this.loadedAt = Date.now();
          return this.compiled;
        },
        (err: unknown) => {
          // The store is briefly unavailable (locked): keep enforcing the rules known so far.
          if (this.loadedAt === -Infinity) throw err;
          return this.compiled;
        },
      )
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  invalidate(): void {
    this.loadedAt = -Infinity;
  }
}
