// Group commit: the ACKs of a millisecond or two wait for one transaction (one fsync) that
// carries all their leases, then leave together. Every ACK is still on disk before it is
// sent, and a boot storm costs one fsync per group instead of one per phone. While one
// group's write is in flight the next group gathers, so under load the group grows to
// whatever arrived during the previous fsync. A large group's ACKs leave in slices, with the
// event loop free in between to read the frames that keep arriving: a burst of sends must
// not overflow the receive queue.

export interface GroupMember {
  /** Runs after the write succeeded: send the ACK. */
  send(): void;
  /** Runs when the write failed: the lease is not on disk, so no ACK. */
  fail(error: Error): void;
}

export class GroupCommit {
  private gathering: GroupMember[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;

  /**
   * `write` commits everything staged so far (one transaction) and settles when it is on
   * disk. With windowMs 0 a group is whatever arrived in the same turn of the event loop.
   */
  constructor(
    private readonly write: () => Promise<void>,
    private readonly windowMs: number,
    private readonly onCommitted?: (size: number) => void,
    private readonly sendSlice = 32,
  ) {}

  add(member: GroupMember): void {
    this.gathering.push(member);
    this.schedule();
  }

  private sending = 0;

  /** Members gathering, in flight, or committed and not yet sent. */
  get busy(): boolean {
    return this.gathering.length > 0 || this.inFlight !== undefined || this.sending > 0;
  }

  /** Commits what is gathering now and waits for every write to finish. */
  async drain(): Promise<void> {
    while (this.busy) {
      if (!this.inFlight) this.start();
      await (this.inFlight ?? new Promise((r) => setImmediate(r)));
    }
  }

  private schedule(): void {
    if (this.inFlight || this.timer || this.immediate) return;
    if (this.windowMs > 0) this.timer = setTimeout(() => this.start(), this.windowMs);
    else this.immediate = setImmediate(() => this.start());
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.inFlight || this.gathering.length === 0) return;
    const group = this.gathering;
    this.gathering = [];
    // write() takes the staged leases synchronously, so this group's leases are exactly
    // those staged before this point.
    let written: Promise<void>;
    try {
      written = this.write();
    } catch (e) {
      written = Promise.reject(e as Error);
    }
    this.inFlight = written.then(
      () => {
        this.onCommitted?.(group.length);
        this.sendInSlices(group, 0);
      },
      (e: unknown) => {
        for (const m of group) m.fail(e instanceof Error ? e : new Error(String(e)));
      },
    ).finally(() => {
      this.inFlight = undefined;
      if (this.gathering.length > 0) this.start();
    });
  }

  private sendInSlices(group: GroupMember[], from: number): void {
    const to = Math.min(group.length, from + this.sendSlice);
    for (let i = from; i < to; i++) group[i].send();
    if (to >= group.length) return;
    this.sending++;
    setImmediate(() => {
      this.sending--;
      this.sendInSlices(group, to);
    });
  }
}
