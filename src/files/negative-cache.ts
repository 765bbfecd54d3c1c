// Names CUCM said it does not have, remembered briefly: a phone retrying a missing file
// (CTL, a locale it never had) gets "file not found" at once instead of a WAN round trip.
import { cacheKey } from './cache.js';

export class NegativeCache {
  private readonly until = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  add(name: string): void {
    if (this.ttlMs <= 0) return;
    this.until.set(cacheKey(name), Date.now() + this.ttlMs);
    if (this.until.size > 10_000) this.prune();
  }

  has(name: string): boolean {
    const t = this.until.get(cacheKey(name));
    if (t === undefined) return false;
    if (t > Date.now()) return true;
    this.until.delete(cacheKey(name));
    return false;
  }

  delete(name: string): void {
    this.until.delete(cacheKey(name));
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
  }
}
