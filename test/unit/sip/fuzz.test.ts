// Hostile-input fuzzing: the codec, the header parsers, the Cisco extraction and the stream
// framer must return a Result for anything a LAN peer could send, never throw.

import { describe, expect, it } from 'vitest';
import { allFixtureMessages, prng } from './fixtures.js';
import { decodeSip, encodeSip, getHeaders } from '../../../src/sip/message.js';
import { parseCSeq, parseContacts, parseNameAddr, parseSipUri, parseVia } from '../../../src/sip/headers.js';
import { ciscoRegistration } from '../../../src/sip/cisco.js';
import { describeSipPayload } from '../../../src/sip/describe.js';
import { SipStreamFramer } from '../../../src/sip/framing.js';

const RUNS = 100_000;
const seeds = allFixtureMessages().map((m) => m.bytes);
const TOKENS = ['\r\n', '\r\n\r\n', '\n', ' ', '\t', ':', ';', ',', '"', '\\', '<', '>', '@', '=', '?', '[', ']', '*',
  'Content-Length: ', 'l: ', '-1', '4294967296', '99999999999999999999', 'Via: ', 'v: SIP/2.0/UDP ', 'Contact: *',
  'm: <sip:', ';rport', ';expires=', 'CSeq: ', 'SIP/2.0 ', 'sip:', '\r\n ', '\u00e9', '\xff', '\0'];

/** A hostile variant of a real message, a random blob or an oversized one. */
function mutate(rand: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const mode = rand();
  if (mode < 0.05) return Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
  const base = pick(seeds);
  if (mode < 0.15) return base.subarray(0, Math.floor(rand() * base.length)); // truncated
  if (mode < 0.2) {
    // A Content-Length far from the body, negative or overflowing.
    const text = base.toString('latin1').replace(/Content-Length: *[0-9]+/i, `Content-Length: ${pick(['-1', '999999', '1e3', '18446744073709551616', '0x10', ''])}`);
    return Buffer.from(text, 'latin1');
  }
  if (mode < 0.2005) {
    // Occasionally a 100 kB header, once as one line and once as many.
    const big = rand() < 0.5 ? `X-Big: ${'a,'.repeat(50_000)}\r\n` : 'X: y\r\n'.repeat(16_000);
    const text = base.toString('latin1');
    const at = text.indexOf('\r\n') + 2;
    return Buffer.from(text.slice(0, at) + big + text.slice(at), 'latin1');
  }
  let out = Buffer.from(base);
  const edits = 1 + Math.floor(rand() * 6);
  for (let e = 0; e < edits; e++) {
    const kind = rand();
    const pos = Math.floor(rand() * out.length);
    if (kind < 0.4) out[pos] = Math.floor(rand() * 256);
    else if (kind < 0.8) out = Buffer.concat([out.subarray(0, pos), Buffer.from(pick(TOKENS), 'latin1'), out.subarray(pos)]);
    else out = Buffer.concat([out.subarray(0, pos), out.subarray(pos + Math.floor(rand() * 40))]);
  }
  return out;
}

/** Asserts the value is a Result; plain code, as expect() per call would dominate the run time. */
function check(r: { ok: boolean } | undefined): void {
  if (r === undefined || typeof r.ok !== 'boolean') throw new Error('not a Result');
}

describe('SIP fuzz', () => {
  it(`codec and header parsers never throw on ${RUNS} hostile inputs`, () => {
    const rand = prng(0x5151);
    let decoded = 0;
    for (let n = 0; n < RUNS; n++) {
      const input = mutate(rand);
      const r = decodeSip(input);
      check(r);
      describeSipPayload(n, input);
      if (!r.ok) continue;
      decoded++;
      // Whatever was accepted must encode to something that decodes to the same bytes again.
      const encoded = encodeSip(r.value);
      const again = decodeSip(encoded);
      if (!again.ok || !encodeSip(again.value).equals(encoded)) throw new Error(`re-encoding unstable for input ${n}: ${again.ok ? 'bytes differ' : again.error}`);
      for (const v of getHeaders(r.value, 'via')) check(parseVia(v));
      for (const c of getHeaders(r.value, 'contact')) check(parseContacts(c));
      for (const a of [...getHeaders(r.value, 'from'), ...getHeaders(r.value, 'to')]) {
        const na = parseNameAddr(a);
        if (na.ok) check(parseSipUri(na.value.uri));
      }
      for (const c of getHeaders(r.value, 'cseq')) check(parseCSeq(c));
      check(ciscoRegistration(r.value));
    }
    // The mutations must leave enough valid messages to exercise the parsers behind the codec.
    expect(decoded).toBeGreaterThan(RUNS / 4);
  });

  it(`framer never throws on ${RUNS} hostile streams`, () => {
    const rand = prng(0xf00d);
    for (let n = 0; n < RUNS; n++) {
      const framer = new SipStreamFramer({ maxHeaderBytes: 64 * 1024, maxBodyBytes: 1024 * 1024 });
      const stream = rand() < 0.3 ? Buffer.concat([mutate(rand), rand() < 0.5 ? Buffer.from('\r\n\r\n') : Buffer.alloc(0), mutate(rand)]) : mutate(rand);
      let pos = 0;
      while (pos < stream.length) {
        const size = 1 + Math.floor(rand() * (rand() < 0.1 ? 8 : 2000));
        for (const item of framer.push(stream.subarray(pos, pos + size))) check(item);
        pos += size;
      }
    }
  });
});
