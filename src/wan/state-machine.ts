// WAN state transitions from probe rounds: online -> degraded -> survival -> recovering -> online.
// Pure: the monitor feeds it one verdict per probe round with the time.
import type { WanStateName } from '../core/wan-state.js';

export interface WanThresholds {
  failuresToDegraded: number;
  failuresToSurvival: number;
  holdDownSeconds: number;
}

export interface Transition {
  state: WanStateName;
  reason: string;
}

export class WanStateMachine {
  private failures = 0;
  private healthySince: number | undefined;

  constructor(private state: WanStateName, private readonly t: WanThresholds) {}

  /** One probe round: did any CUCM member answer? Returns a transition when the state changes. */
  observe(reachable: boolean, nowMs: number): Transition | undefined {
    const next = this.decide(reachable, nowMs);
    if (!next || next.state === this.state) return undefined;
    this.state = next.state;
    return next;
  }

  private decide(reachable: boolean, now: number): Transition | undefined {
    switch (this.state) {
      case 'online':
      case 'degraded':
        if (reachable) {
          this.failures = 0;
          return { state: 'online', reason: 'CUCM answers again' };
        }
        this.failures++;
        if (this.failures >= this.t.failuresToSurvival) return { state: 'survival', reason: `${this.failures} probe rounds unanswered` };
        if (this.failures >= this.t.failuresToDegraded) return { state: 'degraded', reason: `${this.failures} probe round(s) unanswered` };
        return undefined;
      case 'survival':
        if (!reachable) return undefined;
        this.healthySince = now;
        this.failures = 0;
        if (this.t.holdDownSeconds === 0) return { state: 'online', reason: 'CUCM answers again' };
        return { state: 'recovering', reason: 'CUCM answers again; holding down before handing phones back' };
      case 'recovering':
        if (!reachable) {
          this.healthySince = undefined;
          return { state: 'survival', reason: 'CUCM lost again while recovering' };
        }
        if (now - (this.healthySince ?? now) >= this.t.holdDownSeconds * 1000) {
          return { state: 'online', reason: `CUCM healthy for ${this.t.holdDownSeconds} s` };
        }
        return undefined;
    }
  }
}
