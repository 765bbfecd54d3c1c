// Group commit and rate limits: ACKs leave only after the write that carries their leases,
// one write per group, and a failed write sends none of them.

import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/dhcp/group-commit.js';
import { KeyedRateLimit, TokenBucket } from '../../../src/dhcp/rate-limit.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('GroupCommit', () => {
  it('sends a group only after its one write, and gathers the next group meanwhile', async () => {
    const writes: ReturnType<typeof deferred>[] = [];
    const log: string[] = [];
    const group = new GroupCommit(() => { const d = deferred(); writes.push(d); log.push('write'); return d.promise; }, 0);
    for (const n of [1, 2, 3]) group.add({ send: () => log.push(`ack${n}`), fail: () => log.push(`fail${n}`) });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['write']);
    group.add({ send: () => log.push('ack4'), fail: () => log.push('fail4') });
    await new Promise((r) => setImmediate(r));
    expect(writes.length).toBe(1); // the fourth waits for the first write
    writes[0].resolve();
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['write', 'ack1', 'ack2', 'ack3', 'write']);
    writes[1].reject(new Error('disk full'));
    await group.drain();
    expect(log).toEqual(['write', 'ack1', 'ack2', 'ack3', 'write', 'fail4']);
  });

  it('waits the window before writing, and drain() writes at once', async () => {
    let writes = 0;
    const group = new GroupCommit(() => { writes++; return Promise.resolve(); }, 20);
    const acks: number[] = [];
    group.add({ send: () => acks.push(1), fail: () => undefined });
    group.add({ send: () => acks.push(2), fail: () => undefined });
    expect(writes).toBe(0);
    await group.drain();
    expect({ writes, acks }).toEqual({ writes: 1, acks: [1, 2] });
  });

  it('sends a large group in slices, leaving the event loop free in between', async () => {
    const group = new GroupCommit(() => Promise.resolve(), 0, undefined, 32);
    let sent = 0;
    for (let i = 0; i < 100; i++) group.add({ send: () => { sent++; }, fail: () => undefined });
    await new Promise((r) => setImmediate(r)); // the write starts
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toBe(32);
    await group.drain();
    expect(sent).toBe(100);
  });

  it('treats a write that throws like one that rejects', async () => {
    const failed: string[] = [];
    const group = new GroupCommit(() => { throw new Error('no disk'); }, 0);
    group.add({ send: () => failed.push('sent'), fail: (e) => failed.push(e.message) });
    await group.drain();
    expect(failed).toEqual(['no disk']);
  });
});

describe('rate limits', () => {
  it('a bucket allows its burst, then its rate', () => {
    const b = new TokenBucket(10, 5, 0);
    expect([...Array(6)].map(() => b.take(0))).toEqual([true, true, true, true, true, false]);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
  });

  it('limits each key on its own and bounds its memory under a flood of keys', () => {
    const l = new KeyedRateLimit(1, 2, 1000);
    expect([l.take('a', 0), l.take('a', 0), l.take('a', 0), l.take('b', 0)]).toEqual([true, true, false, true]);
    for (let i = 0; i < 10_000; i++) l.take(`flood${i}`, 1);
    expect(l.size).toBeLessThanOrEqual(1000);
  });
});
