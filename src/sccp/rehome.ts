// Hands locally served phones back to CUCM once the WAN is online again, a bounded number per
// second, so a branch of phones does not re-register with CUCM all in the same moment.

export interface Rehomeable {
  /** Closes the phone's connection; it reconnects and is relayed to CUCM. */
  rehome(): void;
  readonly servedLocallySince?: number;
}

export class RehomeScheduler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ratePerSecond: number,
    private readonly localSessions: () => Rehomeable[],
    private readonly onRehome: (count: number) => void = () => undefined,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts handing phones back (longest served locally first); stops by itself when none are left. */
  start(): void {
    if (this.timer) return;
    const intervalMs = Math.max(1, Math.round(1000 / this.ratePerSecond));
    this.timer = setInterval(() => {
      const next = this.localSessions().sort((a, b) => (a.servedLocallySince ?? 0) - (b.servedLocallySince ?? 0))[0];
      if (!next) return this.stop();
      next.rehome();
      this.onRehome(1);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
