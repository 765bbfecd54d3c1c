import { describe, expect, it } from 'vitest';
import { allFixtureMessages, tcpStreams } from './fixtures.js';
import { type FramedItem, SipStreamFramer } from '../../../src/sip/framing.js';
import { encodeSip } from '../../../src/sip/message.js';

const PING = Buffer.from('\r\n\r\n');
const PONG = Buffer.from('\r\n');

/** Feeds the chunks in order; returns compact item descriptions or throws on an error. */
function frame(chunks: Buffer[], framer = new SipStreamFramer()): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  for (const c of chunks) {
    for (const item of framer.push(c)) {
      if (!item.ok) throw new Error(item.error);
      out.push(summarise(item.value));
    }
  }
  return out;
}

function summarise(item: FramedItem): string | Buffer {
  if (item.kind !== 'message') return item.kind;
  // The message must also re-encode to the very bytes it was cut from.
  expect(encodeSip(item.message).equals(item.bytes)).toBe(true);
  return item.bytes;
}
const messages = allFixtureMessages().map((m) => m.bytes);

describe('SipStreamFramer', () => {
  it('frames the real CUCM call TCP streams, including the SDP body split across segments', () => {
    const streams = tcpStreams('sip_cucm_cp8841_call_sip_only_subset.pcapng');
    const counts = streams.map((s) => frame([s]).length);
    expect(counts.sort()).toEqual([4, 5]);
  });

  it('cuts every fixture message identically at every split point', () => {
    for (const m of messages) {
      for (let i = 1; i < m.length; i++) {
        const items = frame([m.subarray(0, i), m.subarray(i)]);
        expect(items).toHaveLength(1);
        expect((items[0] as Buffer).equals(m)).toBe(true);
      }
    }
  });

  it('handles one byte at a time and everything coalesced, with keep-alives between', () => {
    const stream = Buffer.concat(messages.flatMap((m, i) => (i % 3 === 0 ? [PING, m] : [m])));
    const expected = messages.flatMap((m, i) => (i % 3 === 0 ? ['ping', m] : [m]));
    const coalesced = frame([stream]);
    expect(coalesced).toEqual(expected);
    const bytes = frame([...stream].map((b) => Buffer.from([b])));
    // A ping split after its first CRLF shows as a pong, then completes as a ping.
    expect(bytes.filter((x) => typeof x !== 'string')).toEqual(messages);
    expect(bytes.filter((x) => x === 'ping')).toHaveLength(expected.filter((x) => x === 'ping').length);
  });

  it('reports pings and pongs', () => {
    expect(frame([PING])).toEqual(['ping']);
    expect(frame([PONG])).toEqual(['pong']);
    expect(frame([Buffer.concat([PONG, messages[0]])])).toEqual(['pong', messages[0]]);
    expect(frame([Buffer.concat([PING, PING, PONG])])).toEqual(['ping', 'ping', 'pong']);
    expect(frame([Buffer.from('\r\n\r')])).toEqual([]);
  });

  it('refuses oversized header blocks and bodies, and stays failed', () => {
    const f = new SipStreamFramer({ maxHeaderBytes: 1024 });
    const r = f.push(Buffer.from(`REGISTER sip:a SIP/2.0\r\nX: ${'a'.repeat(2000)}`));
    expect(r).toHaveLength(1);
    expect(r[0].ok).toBe(false);
    expect(f.push(messages[0])[0].ok).toBe(false);

    const big = new SipStreamFramer().push(Buffer.from('INVITE sip:a SIP/2.0\r\nContent-Length: 2000000\r\n\r\n'));
    expect(big.map((x) => x.ok)).toEqual([false]);
    const neg = new SipStreamFramer().push(Buffer.from('INVITE sip:a SIP/2.0\r\nContent-Length: -5\r\n\r\n'));
    expect(neg.map((x) => x.ok)).toEqual([false]);
  });

  it('waits for a body that has not arrived yet', () => {
    const f = new SipStreamFramer();
    expect(f.push(Buffer.from('MESSAGE sip:a SIP/2.0\r\nContent-Length: 5\r\n\r\nab'))).toEqual([]);
    expect(f.buffered).toBe(2 + 'MESSAGE sip:a SIP/2.0\r\nContent-Length: 5\r\n\r\n'.length);
    const done = f.push(Buffer.from('cdeOPTIONS'));
    expect(done).toHaveLength(1);
    expect(done[0].ok && done[0].value.kind === 'message' && done[0].value.message.body.toString()).toBe('abcde');
    expect(f.buffered).toBe('OPTIONS'.length);
  });
});
