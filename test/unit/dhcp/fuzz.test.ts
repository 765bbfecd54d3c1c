// Hostile input: random bytes and mutations of the real capture never make the DHCP codec,
// the frame parser or the describer throw. Seeded, so a failure can be replayed.

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcpFitted } from '../../../src/dhcp/codec.js';
import { describeDhcpFrame } from '../../../src/dhcp/describe.js';
import { DhcpEngine } from '../../../src/dhcp/engine.js';
import { parseDhcpFrame } from '../../../src/dhcp/frame.js';
import { DHCP_MIGRATIONS, LeaseStore } from '../../../src/dhcp/leases.js';
import { doraFrames, prng } from './helpers.js';

const RUNS = 100_000;

/**
 * Random bytes; a real sample's first `keep` bytes followed by random ones (for the codec:
 * header and magic cookie intact, so the option parser sees garbage); or a real sample with
 * a few bytes flipped, cut short or extended, its IPv4 checksum sometimes repaired so the
 * mutation reaches the UDP checks behind it.
 */
function inputs(seed: number, samples: Buffer[], count: number, maxRandomLength: number, keep: number): Generator<Buffer> {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const randomBytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let j = 0; j < n; j++) b[j] = int(256);
    return b;
  };
  return (function* () {
    for (let i = 0; i < count; i++) {
      const sample = samples[int(samples.length)];
      if (i % 4 === 0) { yield randomBytes(int(maxRandomLength)); continue; }
      if (i % 4 === 1) { yield Buffer.concat([sample.subarray(0, keep), randomBytes(int(maxRandomLength - keep))]); continue; }
      const b = Buffer.from(sample);
      const flips = 1 + int(8);
      for (let j = 0; j < flips; j++) b[int(b.length)] = int(256);
      if (int(2) === 0) repairIpChecksum(b);
      const cut = int(10);
      if (cut === 0) yield b.subarray(0, int(b.length));
      else if (cut === 1) yield Buffer.concat([b, Buffer.alloc(int(64), int(256))]);
      else yield b;
    }
  })();
}

function repairIpChecksum(frame: Buffer): void {
  if (frame.length < 34 || (frame[14] & 0x0f) !== 5) return;
  frame.writeUInt16BE(0, 24);
  let sum = 0;
  for (let o = 14; o < 34; o += 2) sum += frame.readUInt16BE(o);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  frame.writeUInt16BE(~sum & 0xffff, 24);
}

function isResult(r: unknown): boolean {
  if (typeof r !== 'object' || r === null || !('ok' in r)) return false;
  return r.ok === true ? 'value' in r : r.ok === false && 'error' in r && typeof r.error === 'string';
}

describe('fuzz', () => {
  const frames = doraFrames().map((f) => f.data);
  const payloads = frames.map((f) => f.subarray(42));

  it(`decodeDhcp returns a Result for ${RUNS} hostile messages, and whatever decodes re-encodes`, () => {
    let decoded = 0;
    for (const input of inputs(0x0d1c9, payloads, RUNS, 600, 240)) {
      const r = decodeDhcp(input);
      expect(isResult(r)).toBe(true);
      if (r.ok) {
        decoded++;
        // A decoded message must be safe to encode again (e.g. when echoing option 82).
        encodeDhcpFitted(r.value, { maxSize: 1472 });
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });

  it(`parseDhcpFrame returns a Result for ${RUNS} hostile frames`, () => {
    let parsed = 0;
    for (const input of inputs(0xf4a3e, frames, RUNS, 400, 42)) {
      for (const verifyUdpChecksum of [false, true]) {
        const r = parseDhcpFrame(input, { verifyUdpChecksum });
        expect(isResult(r)).toBe(true);
        if (r.ok) parsed++;
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });

  it(`describeDhcpFrame never throws on ${RUNS / 4} hostile frames`, () => {
    for (const input of inputs(0xde5c, frames, RUNS / 4, 400, 42)) {
      const d = describeDhcpFrame(1, input);
      expect(d === undefined || typeof d === 'object').toBe(true);
    }
  });

  it(`the server engine answers ${RUNS / 5} hostile but decodable messages without throwing`, () => {
    // An in-memory database: this is about the decisions, not about fsync.
    const db = new Database(':memory:');
    for (const sql of DHCP_MIGRATIONS) db.exec(sql);
    // The capture's own subnet, so that mutated requests reach the real code paths.
    const engine = new DhcpEngine({
      serverAddress: '192.168.1.1', subnetMask: '255.255.255.0', pool: '192.168.1.2-192.168.1.40',
      router: '192.168.1.1', leaseTimeSeconds: 600, tftpServers: ['192.168.1.10', '192.168.1.11'],
    }, new LeaseStore(db));
    const requests = [payloads[0], payloads[2]];
    let answered = 0;
    let now = 1_700_000_000_000;
    for (const input of inputs(0xe9_61e, requests, RUNS / 5, 600, 240)) {
      const msg = decodeDhcp(input);
      if (!msg.ok) continue;
      now += 1000;
      const decision = engine.handle(msg.value, { viaRelay: msg.value.giaddr !== '0.0.0.0', giaddr: msg.value.giaddr }, now);
      expect(typeof decision.event.kind).toBe('string');
      if (decision.reply) {
        answered++;
        encodeDhcpFitted(decision.reply.message, decision.reply.encode);
      }
    }
    expect(answered).toBeGreaterThan(0);
    db.close();
  });
});
