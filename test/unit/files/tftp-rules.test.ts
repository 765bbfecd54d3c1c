import { describe, expect, it } from 'vitest';
import { checkRequestedName } from '../../../src/files/tftp/filename.js';
import { NetasciiDecoder, toNetascii } from '../../../src/files/tftp/netascii.js';
import { negotiate } from '../../../src/files/tftp/negotiate.js';
import { acceptOack, requestOptions } from '../../../src/files/tftp/client-options.js';
import { netasciiBlocks, octetBlocks } from '../../../src/files/tftp/block-reader.js';

describe('requested file names', () => {
  it.each(['SEP001122334455.cnf.xml', 'ITLSEP001122334455.tlv', 'loads/sip88xx.14-2-1.loads', 'a..b', 'x'.repeat(255)])('accepts %s', (name) => {
    expect(checkRequestedName(name).ok).toBe(true);
  });
  it.each(['', '../etc/passwd', '/etc/passwd', '\\windows', 'a/../../b', 'a\\..\\b', '..', 'C:\\boot.ini', 'x'.repeat(256), 'a\u0001b'])('refuses %j', (name) => {
    expect(checkRequestedName(name).ok).toBe(false);
  });
});

describe('netascii', () => {
  it('turns LF into CR LF and a bare CR into CR NUL', () => {
    expect(toNetascii(Buffer.from('a\nb\rc\r\n'))).toEqual(Buffer.from('a\r\nb\r\0c\r\0\r\n'));
  });
  it('decodes back across chunk boundaries', () => {
    const text = Buffer.from('one\ntwo\r\nthree\rfour\n\r');
    const wire = toNetascii(text);
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new NetasciiDecoder();
      const back = Buffer.concat([d.push(wire.subarray(0, cut)), d.push(wire.subarray(cut)), d.end()]);
      expect(back).toEqual(text);
    }
  });
  it('blocks a converted file at exactly blksize', async () => {
    const raw = Buffer.from('\n'.repeat(10));
    const reader = netasciiBlocks({ size: raw.length, read: async (o, l) => raw.subarray(o, o + l) }, 8);
    const blocks = [await reader.next(), await reader.next(), await reader.next(), await reader.next()];
    expect(blocks.map((b) => b.length)).toEqual([8, 8, 4, 0]);
    expect(Buffer.concat(blocks)).toEqual(toNetascii(raw));
  });
  it('octet blocks end with an empty block when the size is a multiple of blksize', async () => {
    const raw = Buffer.alloc(16, 1);
    const reader = octetBlocks({ size: 16, read: async (o, l) => raw.subarray(o, o + l) }, 8);
    expect([(await reader.next()).length, (await reader.next()).length, (await reader.next()).length]).toEqual([8, 8, 0]);
  });
});

describe('server option negotiation', () => {
  const limits = { blksizeMax: 1468, windowsizeMax: 64 };
  it('clamps blksize and windowsize and answers tsize with the size', () => {
    const p = negotiate([{ name: 'BLKSIZE', value: '65464' }, { name: 'tsize', value: '0' }, { name: 'windowsize', value: '1000' }, { name: 'timeout', value: '3' }], 4242, 'octet', limits);
    expect(p).toEqual({
      blksize: 1468, windowsize: 64, timeoutSec: 3,
      oack: [{ name: 'BLKSIZE', value: '1468' }, { name: 'tsize', value: '4242' }, { name: 'windowsize', value: '64' }, { name: 'timeout', value: '3' }],
    });
  });
  it('leaves out what it cannot honour', () => {
    const p = negotiate([{ name: 'blksize', value: '7' }, { name: 'tsize', value: '0' }, { name: 'timeout', value: '300' }, { name: 'windowsize', value: '0' }, { name: 'multicast', value: '' }, { name: 'blksize', value: 'x' }], undefined, 'octet', limits);
    expect(p).toEqual({ blksize: 512, windowsize: 1, timeoutSec: undefined, oack: [] });
  });
  it('does not promise a tsize for netascii', () => {
    expect(negotiate([{ name: 'tsize', value: '0' }], 100, 'netascii', limits).oack).toEqual([]);
  });
});

describe('client option negotiation', () => {
  it('asks with whole-second timeouts only', () => {
    expect(requestOptions({ blksize: 1428, tsize: true, windowsize: 16, timeoutMs: 2500 })).toEqual([
      { name: 'blksize', value: '1428' }, { name: 'tsize', value: '0' }, { name: 'windowsize', value: '16' }, { name: 'timeout', value: '3' },
    ]);
    expect(requestOptions({ timeoutMs: 1000 })).toEqual([]);
    expect(requestOptions({ blksize: 100, timeoutMs: 10 })).toContainEqual({ name: 'timeout', value: '1' });
  });
  it('accepts a server answering less', () => {
    const asked = requestOptions({ blksize: 1428, tsize: true, windowsize: 16, timeoutMs: 1000 });
    const r = acceptOack(asked, [{ name: 'blksize', value: '1024' }, { name: 'TSIZE', value: '99' }]);
    expect(r).toEqual({ ok: true, value: { blksize: 1024, windowsize: 1, tsize: 99, timeoutSec: undefined, optionsAccepted: true } });
  });
  it.each([
    [[{ name: 'blksize', value: '2000' }]],
    [[{ name: 'windowsize', value: '32' }]],
    [[{ name: 'timeout', value: '9' }]],
    [[{ name: 'multicast', value: '1' }]],
    [[{ name: 'blksize', value: 'big' }]],
  ])('rejects an OACK it did not ask for: %j', (answer) => {
    const asked = requestOptions({ blksize: 1428, windowsize: 16, timeoutMs: 1000 });
    expect(acceptOack(asked, answer).ok).toBe(false);
  });
});
