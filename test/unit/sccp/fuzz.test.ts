// Hostile bytes: the codec and the framer never throw, whatever arrives, and a stream cut into
// arbitrary segments (split or coalesced) yields exactly the messages that were sent.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/sccp/codec.js';
import { MAX_MESSAGE_LENGTH, SccpFramer } from '../../../src/sccp/framer.js';
import { LAYOUTS } from '../../../src/sccp/messages.js';
import { capturedMessages } from './fixtures.js';
import { prng as rng } from '../../support/prng.js';


const real = [...capturedMessages('sccp_cp7970_register_to_cucm.pcapng'), ...capturedMessages('sccp_inbound_call.pcapng')].map((m) => m.message);
const ids = Object.values(LAYOUTS).map((l) => l.id);

describe('SCCP codec under hostile input', () => {
  it('decodes 100,000 mutated and random messages without throwing, and re-encodes what it accepts', () => {
    const rand = rng(7);
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) {
      let buf: Buffer;
      if (i % 3 === 0) {
        // a known id with a random body of random length
        const body = Buffer.alloc(Math.floor(rand() * 200));
        for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
        buf = Buffer.alloc(12 + body.length);
        buf.writeUInt32LE(body.length + 4, 0);
        buf.writeUInt32LE(rand() < 0.5 ? 0 : 17 + Math.floor(rand() * 6), 4);
        buf.writeUInt32LE(rand() < 0.9 ? ids[Math.floor(rand() * ids.length)] : Math.floor(rand() * 2 ** 32), 8);
        body.copy(buf, 12);
      } else {
        buf = Buffer.from(real[Math.floor(rand() * real.length)]);
        for (let flips = 1 + Math.floor(rand() * 4); flips > 0; flips--) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
        if (rand() < 0.2) buf = buf.subarray(0, Math.floor(rand() * buf.length));
      }
      const d = decodeMessage(buf);
      if (!d.ok) continue;
      accepted++;
      const again = decodeMessage(encodeMessage(d.value));
      expect(again.ok, `input ${buf.toString('hex')}`).toBe(true);
      if (again.ok) expect(again.value.id).toBe(d.value.id);
    }
    expect(accepted).toBeGreaterThan(10_000);
  });

  it('cuts a stream split and coalesced at random points into exactly the messages sent', () => {
    const rand = rng(11);
    const stream = Buffer.concat(real);
    for (let round = 0; round < 300; round++) {
      const framer = new SccpFramer();
      const got: Buffer[] = [];
      for (let off = 0; off < stream.length;) {
        const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 1500));
        for (const o of framer.push(stream.subarray(off, off + n))) {
          expect(o.ok).toBe(true);
          if (o.ok) got.push(o.message);
        }
        off += n;
      }
      expect(got.length).toBe(real.length);
      expect(Buffer.concat(got).equals(stream)).toBe(true);
      expect(framer.pending).toBe(0);
    }
  });

  it('poisons the stream on a length no message can have, and holds no more than one message', () => {
    for (const length of [0, 3, MAX_MESSAGE_LENGTH + 1, 0xffffffff]) {
      const framer = new SccpFramer();
      const head = Buffer.alloc(12);
      head.writeUInt32LE(length, 0);
      const out = framer.push(Buffer.concat([real[0], head, real[1]]));
      expect(out[0]).toEqual({ ok: true, message: real[0] });
      expect(out[1]).toMatchObject({ ok: false });
      expect(framer.push(real[2])).toEqual([]);
      expect(framer.pending).toBe(0);
    }
  });

  it('feeds 100,000 random chunks to framers without throwing', () => {
    const rand = rng(3);
    let framer = new SccpFramer();
    for (let i = 0; i < 100_000; i++) {
      const chunk = Buffer.alloc(Math.floor(rand() * 64));
      for (let j = 0; j < chunk.length; j++) chunk[j] = rand() < 0.7 ? 0 : Math.floor(rand() * 256);
      for (const o of framer.push(chunk)) if (o.ok) decodeMessage(o.message);
      if (framer.error) framer = new SccpFramer();
      expect(framer.pending).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 8);
    }
  });
});
