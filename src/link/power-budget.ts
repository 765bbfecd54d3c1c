// Outpost's PoE budget, kept as a Cisco PoE switch keeps it: each phone may draw up to the
// per-port limit, and all phones together up to the switch's total. A phone that asks for
// more than is left is refused and reported; it is never granted power the switch lacks.
// Pure: the plane feeds it requests and neighbour departures.

export type PowerSource = 'cdp' | 'lldp';

export interface PowerRequest {
  source: PowerSource;
  /** The levels the phone can run at, in mW (CDP lists several, best first; LLDP one). */
  levelsMw: number[];
  /** CDP Power Requested ids, echoed back in Power Available. */
  requestId?: number;
  managementId?: number;
}

export interface PowerAllocation {
  mac: string;
  request: PowerRequest;
  state: 'granted' | 'refused';
  /** 0 when refused. */
  grantedMw: number;
  /** What this phone could have had when the decision was made (port limit or what was left). */
  availableMw: number;
  /** Why a request was refused, in words for `outpost show power inline`. */
  reason?: string;
  decidedAt: number;
}

export interface PowerDecision {
  allocation: PowerAllocation;
  /** False when the phone repeated a request and the answer stayed the same. */
  changed: boolean;
}

export interface PowerBudgetSnapshot {
  portLimitMw: number;
  totalMw: number;
  usedMw: number;
  remainingMw: number;
  allocations: PowerAllocation[];
}

/** Highest level that is at most `availableMw` (levels of 0 mean "none"), or undefined. */
export function highestFitting(levelsMw: number[], availableMw: number): number | undefined {
  const fitting = levelsMw.filter((l) => l > 0 && l <= availableMw);
  return fitting.length ? Math.max(...fitting) : undefined;
}

export const watts = (mw: number): string => (mw / 1000).toFixed(1);

export class PowerBudget {
  private readonly allocations = new Map<string, PowerAllocation>();

  constructor(readonly portLimitMw: number, readonly totalMw: number) {}

  usedMw(except?: string): number {
    let used = 0;
    for (const a of this.allocations.values()) if (a.mac !== except) used += a.grantedMw;
    return used;
  }

  /** Decides a phone's request; a repeated request keeps its grant so phones are never starved by a newcomer. */
  request(mac: string, request: PowerRequest, now: number): PowerDecision {
    const previous = this.allocations.get(mac);
    const sameLevels = previous !== undefined && previous.request.source === request.source && sameNumbers(previous.request.levelsMw, request.levelsMw);
    if (previous && sameLevels && previous.state === 'granted') {
      previous.request = request;
      return { allocation: previous, changed: false };
    }
    const availableMw = Math.max(0, Math.min(this.portLimitMw, this.totalMw - this.usedMw(mac)));
    const grant = highestFitting(request.levelsMw, availableMw);
    const allocation: PowerAllocation = grant !== undefined
      ? { mac, request, state: 'granted', grantedMw: grant, availableMw, decidedAt: now }
      : { mac, request, state: 'refused', grantedMw: 0, availableMw, reason: this.refusal(request.levelsMw, availableMw), decidedAt: now };
    this.allocations.set(mac, allocation);
    const changed = !previous || !sameLevels || previous.state !== allocation.state || previous.reason !== allocation.reason;
    return { allocation, changed };
  }

  /** The phone left (its hold time ran out): its power returns to the budget. */
  release(mac: string): PowerAllocation | undefined {
    const a = this.allocations.get(mac);
    this.allocations.delete(mac);
    return a;
  }

  get(mac: string): PowerAllocation | undefined {
    return this.allocations.get(mac);
  }

  snapshot(): PowerBudgetSnapshot {
    const usedMw = this.usedMw();
    return {
      portLimitMw: this.portLimitMw, totalMw: this.totalMw, usedMw, remainingMw: Math.max(0, this.totalMw - usedMw),
      allocations: [...this.allocations.values()].sort((a, b) => a.mac.localeCompare(b.mac)),
    };
  }

  private refusal(levelsMw: number[], availableMw: number): string {
    const asked = levelsMw.filter((l) => l > 0);
    const lowest = asked.length ? Math.min(...asked) : 0;
    if (lowest === 0) return 'the request names no power level';
    if (lowest > this.portLimitMw) return `needs at least ${lowest} mW, more than the ${watts(this.portLimitMw)} W port limit`;
    return `needs at least ${lowest} mW, only ${availableMw} mW left of the ${watts(this.totalMw)} W switch budget`;
  }
}

function sameNumbers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
