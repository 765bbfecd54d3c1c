import { describe, expect, it } from 'vitest';
import { WanStateMachine } from '../../../src/wan/state-machine.js';

const t = { failuresToDegraded: 1, failuresToSurvival: 3, holdDownSeconds: 5 };

describe('WAN state machine', () => {
  it('goes online -> degraded -> survival on consecutive failures', () => {
    const m = new WanStateMachine('online', t);
    expect(m.observe(false, 0)?.state).toBe('degraded');
    expect(m.observe(false, 1000)).toBeUndefined();
    expect(m.observe(false, 2000)?.state).toBe('survival');
  });

  it('returns to online from degraded on one answer', () => {
    const m = new WanStateMachine('online', t);
    m.observe(false, 0);
    expect(m.observe(true, 1000)?.state).toBe('online');
    expect(m.observe(false, 2000)?.state).toBe('degraded');
  });

  it('holds down in recovering before going online, and falls back on a new loss', () => {
    const m = new WanStateMachine('survival', t);
    expect(m.observe(true, 0)?.state).toBe('recovering');
    expect(m.observe(true, 4000)).toBeUndefined();
    expect(m.observe(false, 4500)?.state).toBe('survival');
    expect(m.observe(true, 5000)?.state).toBe('recovering');
    expect(m.observe(true, 10_000)?.state).toBe('online');
  });

  it('skips recovering when the hold-down is zero', () => {
    const m = new WanStateMachine('survival', { ...t, holdDownSeconds: 0 });
    expect(m.observe(true, 0)?.state).toBe('online');
  });
});
