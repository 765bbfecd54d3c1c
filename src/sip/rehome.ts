// Handing phones back to CUCM after an outage: one REGISTER per locally served binding, at a
// bounded rate with jitter, so a branch of a thousand phones never hits CUCM as one burst
// (the registration storm Cisco SRST avoids by waiting minutes before rehoming).
export interface RehomeOptions<T> {
  /** REGISTERs per second toward CUCM. */
  ratePerSecond: number;
  /** Share of each slot (0..1) by which a send is randomly delayed, so phones do not align. */
  jitter: number;
  send(item: T): Promise<unknown>;
  /** Called once every item was sent (or the pacer was stopped). */
  onDone?(sent: number): void;
  random?: () => number;
}

export class RehomePacer<T> {
  private timer: NodeJS.Timeout | undefined;
  private queue: T[] = [];
  private sent = 0;
  private running = false;
  private startedAt = 0;

  constructor(private readonly o: RehomeOptions<T>) {}

  get active(): boolean { return this.running; }
  get remaining(): number { return this.queue.length; }

  /** Starts handing back `items`, one slot of 1/rate seconds each; restarting replaces the queue. */
  start(items: T[]): void {
    this.stop();
    this.queue = [...items];
    this.sent = 0;
    this.running = true;
    this.startedAt = Date.now();
    this.next();
  }

  stop(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = false;
    this.queue = [];
    this.o.onDone?.(this.sent);
  }

  /**
   * Send i leaves at a random point in the first `jitter` share of slot i (slot = 1/rate s): the
   * phones do not align, and any one-second window still holds at most rate + 1 sends.
   */
  private next(): void {
    if (this.queue.length === 0) {
      this.running = false;
      this.o.onDone?.(this.sent);
      return;
    }
    const slot = 1000 / this.o.ratePerSecond;
    const random = this.o.random ?? Math.random;
    const due = this.startedAt + this.sent * slot + random() * this.o.jitter * slot;
    this.timer = setTimeout(() => {
      const item = this.queue.shift()!;
      this.sent++;
      void this.o.send(item);
      this.next();
    }, Math.max(0, due - Date.now()));
    this.timer.unref();
  }
}
