// LLDP-MED fast start: 4 LLDPDUs one second apart; newcomers during a burst extend it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FastStart } from '../../../src/link/fast-start.js';

describe('FastStart', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('sends 4 frames at 0, 1, 2 and 3 s', () => {
    const sent: number[] = [];
    const f = new FastStart(() => sent.push(Date.now()));
    const t0 = Date.now();
    f.trigger();
    vi.advanceTimersByTime(10_000);
    expect(sent.map((t) => t - t0)).toEqual([0, 1000, 2000, 3000]);
    expect(f.running).toBe(false);
  });

  it('extends a running burst instead of starting a second one', () => {
    const sent: number[] = [];
    const f = new FastStart(() => sent.push(Date.now()));
    const t0 = Date.now();
    f.trigger();
    vi.advanceTimersByTime(1500);
    f.trigger();
    f.trigger();
    vi.advanceTimersByTime(10_000);
    expect(sent.map((t) => t - t0)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
  });

  it('stops at once', () => {
    const send = vi.fn();
    const f = new FastStart(send);
    f.trigger();
    f.stop();
    vi.advanceTimersByTime(10_000);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
