// Token buckets that keep one chatty or hostile client, or a flood of forged MACs, from
// taking the DHCP server away from the phones.

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly ratePerSecond: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.at = now;
  }

  /** Takes one token if there is one. `now` in milliseconds. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket is full again, so forgetting it changes nothing. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    if (now > this.at) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.ratePerSecond);
    this.at = Math.max(this.at, now);
  }
}

/** One bucket per key (a client MAC), with memory bounded however many keys appear. */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly maxKeys = 65_536) {}

  take(key: string, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = new TokenBucket(this.ratePerSecond, this.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Forgets full buckets; if every bucket is busy, the oldest half. */
  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
    if (this.buckets.size < this.maxKeys) return;
    let drop = Math.ceil(this.buckets.size / 2);
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}
