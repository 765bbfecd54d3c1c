import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prng } from '../../support/prng.js';
import { readCapture } from '../../../src/util/pcap.js';
import { decodeTftp, encodeTftp, tftpErrorName, TftpErrorCode, type TftpPacket } from '../../../src/files/tftp/codec.js';

const FIXTURE = 'test/fixtures/pcap/tftp/tftp_rrq_octet_basic.pcap';

/** UDP payload of an Ethernet/IPv4 frame (sliced by the UDP length, so Ethernet padding is dropped). */
function udpPayload(frame: Buffer): Buffer | undefined {
  let off = 12;
  let type = frame.readUInt16BE(off);
  while (type === 0x8100 || type === 0x88a8) {
    off += 4;
    type = frame.readUInt16BE(off);
  }
  off += 2;
  if (type !== 0x0800 || frame[off + 9] !== 17) return undefined;
  const udp = off + (frame[off] & 0x0f) * 4;
  return frame.subarray(udp + 8, udp + frame.readUInt16BE(udp + 4));
}

describe('TFTP codec: golden packets from a real capture', () => {
  it('decodes every frame as tshark does', () => {
    const out = execFileSync('tshark', ['-r', FIXTURE, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'tftp.opcode', '-e', 'tftp.source_file', '-e', 'tftp.type', '-e', 'tftp.block', '-e', 'data.len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.trim().split('\n').map((l) => l.split('|'));
    const capture = readCapture(readFileSync(FIXTURE));
    expect(capture.ok).toBe(true);
    expect(capture.frames.length).toBe(rows.length);
    for (const [number, opcode, file, mode, block, dataLen] of rows) {
      const payload = udpPayload(capture.frames[Number(number) - 1].data);
      expect(payload).toBeDefined();
      const decoded = decodeTftp(payload!);
      if (!decoded.ok) throw new Error(`frame ${number}: ${decoded.error}`);
      const pkt = decoded.value;
      const expectedOp = { 1: 'rrq', 2: 'wrq', 3: 'data', 4: 'ack', 5: 'error', 6: 'oack' }[Number(opcode)];
      expect(pkt.op).toBe(expectedOp);
      if (pkt.op === 'rrq' || pkt.op === 'wrq') {
        expect(pkt.filename).toBe(file);
        expect(pkt.mode).toBe(mode);
        expect(pkt.options).toEqual([]);
      }
      if (pkt.op === 'data') {
        expect(pkt.block).toBe(Number(block));
        expect(pkt.data.length).toBe(Number(dataLen));
      }
      if (pkt.op === 'ack') expect(pkt.block).toBe(Number(block));
      // Re-encoding gives back the exact bytes that were on the wire.
      expect(encodeTftp(pkt).equals(payload!)).toBe(true);
    }
  });
});

describe('TFTP codec: round trips', () => {
  const samples: TftpPacket[] = [
    { op: 'rrq', filename: 'SEP001122334455.cnf.xml', mode: 'octet', options: [] },
    { op: 'rrq', filename: 'ITLSEP001122334455.tlv', mode: 'netascii', options: [{ name: 'blksize', value: '1428' }, { name: 'tsize', value: '0' }, { name: 'windowsize', value: '16' }, { name: 'timeout', value: '3' }] },
    { op: 'wrq', filename: 'x', mode: 'octet', options: [] },
    { op: 'rrq', filename: '', mode: 'octet', options: [{ name: 'BlkSize', value: '' }, { name: 'tsize', value: '0' }] },
    { op: 'data', block: 0, data: Buffer.alloc(0) },
    { op: 'data', block: 65535, data: Buffer.alloc(1468, 7) },
    { op: 'data', block: 1, data: Buffer.alloc(65464, 1) },
    { op: 'ack', block: 0 },
    { op: 'ack', block: 65535 },
    { op: 'error', code: TftpErrorCode.FILE_NOT_FOUND, message: 'File not found' },
    { op: 'error', code: 0, message: '' },
    { op: 'oack', options: [{ name: 'blksize', value: '1468' }, { name: 'tsize', value: '3145728' }] },
    { op: 'oack', options: [] },
  ];
  samples.forEach((pkt, i) => {
    it(`${pkt.op} #${i} survives encode → decode`, () => {
      const back = decodeTftp(encodeTftp(pkt));
      expect(back).toEqual({ ok: true, value: pkt });
    });
  });

  it('names the standard error codes', () => {
    expect(tftpErrorName(1)).toBe('file not found');
    expect(tftpErrorName(8)).toBe('option negotiation failed');
    expect(tftpErrorName(42)).toBe('error 42');
  });

  it('truncates an over-long error message instead of producing an invalid packet', () => {
    const wire = encodeTftp({ op: 'error', code: 0, message: 'x'.repeat(2000) });
    expect(wire.length).toBeLessThanOrEqual(516);
    expect(decodeTftp(wire).ok).toBe(true);
  });

  it('refuses to encode a NUL inside a string', () => {
    expect(() => encodeTftp({ op: 'rrq', filename: 'a\0b', mode: 'octet', options: [] })).toThrow(RangeError);
  });

  it('tolerates zero padding after a complete request', () => {
    const wire = Buffer.concat([encodeTftp({ op: 'rrq', filename: 'f', mode: 'octet', options: [] }), Buffer.alloc(6)]);
    expect(decodeTftp(wire)).toEqual({ ok: true, value: { op: 'rrq', filename: 'f', mode: 'octet', options: [] } });
  });
});

describe('TFTP codec: rejects malformed packets', () => {
  const bad: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([0])],
    ['unknown opcode 0', Buffer.from([0, 0, 0, 1])],
    ['unknown opcode 7', Buffer.from([0, 7, 0, 1])],
    ['RRQ without terminator', Buffer.from('\x00\x01file')],
    ['RRQ without mode', Buffer.from('\x00\x01file\x00')],
    ['RRQ with unterminated mode', Buffer.from('\x00\x01file\x00octet')],
    ['RRQ with option but no value', Buffer.from('\x00\x01file\x00octet\x00blksize\x00')],
    ['RRQ with unterminated option value', Buffer.from('\x00\x01file\x00octet\x00blksize\x001428')],
    ['RRQ with empty option name', Buffer.from('\x00\x01file\x00octet\x00\x00x\x00')],
    ['RRQ over 512 bytes', Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(600, 0x41), Buffer.from('\x00octet\x00')])],
    ['DATA without block', Buffer.from([0, 3, 0])],
    ['DATA larger than blksize 65464', Buffer.alloc(4 + 65465, 0).fill(3, 1, 2)],
    ['ACK too short', Buffer.from([0, 4, 0])],
    ['ACK too long', Buffer.from([0, 4, 0, 1, 0])],
    ['ERROR without message terminator', Buffer.from('\x00\x05\x00\x01nope')],
    ['ERROR without message', Buffer.from([0, 5, 0, 1])],
    ['ERROR with two strings', Buffer.from('\x00\x05\x00\x01a\x00b\x00')],
    ['OACK with odd fields', Buffer.from('\x00\x06blksize\x00')],
  ];
  for (const [name, wire] of bad) {
    it(name, () => {
      const r = decodeTftp(wire);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(typeof r.error).toBe('string');
    });
  }
});

describe('TFTP codec: fuzz', () => {
  it('never throws and always returns a Result (100,000 seeded inputs)', () => {
    const rand = prng(0x7f7f1350);
    const seeds = [
      encodeTftp({ op: 'rrq', filename: 'SEP001122334455.cnf.xml', mode: 'octet', options: [{ name: 'blksize', value: '1428' }, { name: 'tsize', value: '0' }] }),
      encodeTftp({ op: 'oack', options: [{ name: 'blksize', value: '1428' }] }),
      encodeTftp({ op: 'error', code: 1, message: 'File not found' }),
      encodeTftp({ op: 'data', block: 9, data: Buffer.alloc(40, 0x55) }),
    ];
    for (let i = 0; i < 100_000; i++) {
      let input: Buffer;
      if (i % 2 === 0) {
        // Mutate a valid packet: flip, insert NULs, truncate.
        input = Buffer.from(seeds[i % seeds.length]);
        const edits = 1 + Math.floor(rand() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(rand() * input.length);
          const r = rand();
          if (r < 0.4) input[at] = Math.floor(rand() * 256);
          else if (r < 0.7) input[at] = 0;
          else input = input.subarray(0, at);
        }
      } else {
        const len = Math.floor(rand() * (rand() < 0.05 ? 1000 : 64));
        input = Buffer.alloc(len);
        for (let j = 0; j < len; j++) input[j] = rand() < 0.2 ? 0 : Math.floor(rand() * 256);
        if (len >= 2 && rand() < 0.8) {
          input[0] = 0;
          input[1] = Math.floor(rand() * 8);
        }
      }
      const r = decodeTftp(input);
      if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean') throw new Error(`not a Result for ${input.toString('hex')}`);
    }
  });
});
