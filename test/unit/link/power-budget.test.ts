// The PoE budget: per-port limit, switch total, and refusals that are reported, never granted.
import { describe, expect, it } from 'vitest';
import { PowerBudget, highestFitting } from '../../../src/link/power-budget.js';

const CP7970 = { source: 'cdp' as const, levelsMw: [10250, 6300], requestId: 54094, managementId: 0 };

describe('PowerBudget', () => {
  it('grants the highest requested level that fits the port limit', () => {
    expect(highestFitting([10250, 6300], 15400)).toBe(10250);
    expect(highestFitting([10250, 6300], 8000)).toBe(6300);
    expect(highestFitting([10250, 6300], 6000)).toBeUndefined();
    expect(highestFitting([0, 0xffffffff], 15400)).toBeUndefined();
    const b = new PowerBudget(15400, 370000);
    expect(b.request('A', CP7970, 1).allocation).toMatchObject({ state: 'granted', grantedMw: 10250 });
    expect(b.snapshot()).toMatchObject({ usedMw: 10250, remainingMw: 359750 });
  });

  it('refuses a phone whose lowest level exceeds the port limit, and says why', () => {
    const b = new PowerBudget(15400, 370000);
    const { allocation } = b.request('A', { source: 'lldp', levelsMw: [25500] }, 1);
    expect(allocation).toMatchObject({ state: 'refused', grantedMw: 0, availableMw: 15400 });
    expect(allocation.reason).toContain('15.4 W port limit');
    expect(b.usedMw()).toBe(0);
  });

  it('steps a phone down to a lower level, then refuses when the switch total is spent', () => {
    const b = new PowerBudget(15400, 25000);
    expect(b.request('A', CP7970, 1).allocation.grantedMw).toBe(10250);
    expect(b.request('B', CP7970, 1).allocation.grantedMw).toBe(10250);
    const third = b.request('C', CP7970, 1).allocation; // 4500 mW left
    expect(third).toMatchObject({ state: 'refused', grantedMw: 0, availableMw: 4500 });
    expect(third.reason).toBe('needs at least 6300 mW, only 4500 mW left of the 25.0 W switch budget');
    expect(b.snapshot()).toMatchObject({ usedMw: 20500, remainingMw: 4500 });
  });

  it('keeps a granted phone\'s power when it repeats its request, with the new request id', () => {
    const b = new PowerBudget(15400, 20500);
    b.request('A', CP7970, 1);
    b.request('B', CP7970, 1);
    const again = b.request('A', { ...CP7970, requestId: 54095 }, 2);
    expect(again.changed).toBe(false);
    expect(again.allocation).toMatchObject({ state: 'granted', grantedMw: 10250, request: { requestId: 54095 } });
  });

  it('reconsiders a refused phone once another phone releases its power', () => {
    const b = new PowerBudget(15400, 15400);
    b.request('A', CP7970, 1);
    expect(b.request('B', CP7970, 1).allocation.state).toBe('refused');
    expect(b.request('B', CP7970, 2).changed).toBe(false);
    expect(b.release('A')?.grantedMw).toBe(10250);
    const retry = b.request('B', CP7970, 3);
    expect(retry).toMatchObject({ changed: true, allocation: { state: 'granted', grantedMw: 10250 } });
  });

  it('re-decides when the phone asks for different levels', () => {
    const b = new PowerBudget(15400, 370000);
    b.request('A', CP7970, 1);
    const r = b.request('A', { ...CP7970, levelsMw: [6300] }, 2);
    expect(r).toMatchObject({ changed: true, allocation: { grantedMw: 6300 } });
    expect(b.usedMw()).toBe(6300);
  });
});
