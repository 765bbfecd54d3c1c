// The one WAN state every plane reads (DESIGN.md "Survivability model").
import { EventEmitter } from 'node:events';

export type WanStateName = 'online' | 'degraded' | 'survival' | 'recovering';

export interface WanSnapshot {
  state: WanStateName;
  since: string;
  reason: string;
  members: Record<string, { reachable: boolean; lastRttMs?: number; consecutiveFailures: number }>;
}

export class WanState extends EventEmitter<{ change: [WanSnapshot, WanStateName] }> {
  private current: WanSnapshot = { state: 'online', since: new Date().toISOString(), reason: 'start', members: {} };

  get state(): WanStateName {
    return this.current.state;
  }

  /** True while phones should be served locally rather than by CUCM. */
  get isSurvival(): boolean {
    return this.current.state === 'survival';
  }

  /** Whether the WAN monitor last found this CUCM member reachable (no copy of the state). */
  isReachable(member: string): boolean {
    return this.current.members[member]?.reachable ?? false;
  }

  snapshot(): WanSnapshot {
    return structuredClone(this.current);
  }

  setMembers(members: WanSnapshot['members']): void {
    this.current.members = members;
  }

  set(state: WanStateName, reason: string): void {
    if (state === this.current.state) return;
    const previous = this.current.state;
    this.current = { ...this.current, state, since: new Date().toISOString(), reason };
    this.emit('change', this.snapshot(), previous);
  }
}
