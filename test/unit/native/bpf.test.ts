// The kernel filters Outpost attaches, run through a small classic-BPF interpreter against
// frames captured from real Cisco switches and phones.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACCEPT, BPF, arpFilter, assemble, cdpFilter, dhcpServerFilter, jeq, label, ldh, lldpFilter, packBpf, ret,
  type BpfProgram,
} from '../../../src/native/bpf.js';
import { readCapture } from '../../../src/util/pcap.js';

/** Classic BPF as the kernel runs it, limited to the opcodes Outpost's filters use. */
function runBpf(program: BpfProgram, pkt: Buffer): number {
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    const load = (offset: number, size: number): number | undefined => {
      if (offset < 0 || offset + size > pkt.length) return undefined;
      return size === 4 ? pkt.readUInt32BE(offset) : size === 2 ? pkt.readUInt16BE(offset) : pkt[offset];
    };
    const sizeOf = (c: number) => ((c & 0x18) === BPF.W ? 4 : (c & 0x18) === BPF.H ? 2 : 1);
    switch (code & 0x07) {
      case BPF.LD: {
        const mode = code & 0xe0;
        if (mode !== BPF.ABS && mode !== BPF.IND) throw new Error(`unsupported ld mode 0x${code.toString(16)}`);
        const v = load(mode === BPF.ABS ? k : x + k, sizeOf(code));
        if (v === undefined) return 0; // the kernel drops a frame a load runs past
        a = v;
        break;
      }
      case BPF.LDX: {
        if ((code & 0xe0) !== BPF.MSH) throw new Error(`unsupported ldx 0x${code.toString(16)}`);
        const v = load(k, 1);
        if (v === undefined) return 0;
        x = (v & 0x0f) * 4;
        break;
      }
      case BPF.JMP: {
        if ((code & 0x08) !== BPF.K) throw new Error('unsupported jump on X');
        const op = code & 0xf0;
        if (op === BPF.JA) { pc += k; break; }
        const taken = op === BPF.JEQ ? a === k : op === BPF.JGT ? a > k : op === BPF.JGE ? a >= k
          : op === BPF.JSET ? (a & k) !== 0 : (() => { throw new Error(`unsupported jump 0x${code.toString(16)}`); })();
        pc += taken ? jt : jf;
        break;
      }
      case BPF.RET:
        if ((code & 0x18) !== BPF.K) throw new Error('unsupported ret');
        return k;
      default:
        throw new Error(`unsupported opcode 0x${code.toString(16)}`);
    }
  }
  throw new Error('program ran off its end');
}

/** The kernel strips an 802.1Q tag before packet-socket filters see a frame; do the same. */
function asKernelSeesIt(frame: Buffer): Buffer {
  if (frame.length >= 18 && frame.readUInt16BE(12) === 0x8100) return Buffer.concat([frame.subarray(0, 12), frame.subarray(16)]);
  return frame;
}

type Kind = 'cdp' | 'lldp' | 'dhcp-to-server' | 'dhcp-to-client' | 'tftp' | 'arp';
interface Sample { name: string; kind: Kind; frame: Buffer }

const PCAP_DIR = join(import.meta.dirname, '../../fixtures/pcap');
// The one capture that mixes protocols: two Catalyst 3560s speaking both CDP and LLDP.
const MIXED: Record<string, Record<number, Kind>> = {
  'cdp_and_lldp_two_c3560_switches.pcap': { 1: 'cdp', 2: 'cdp', 7: 'cdp', 8: 'cdp' },
};

function loadSamples(): Sample[] {
  const samples: Sample[] = [];
  const dirs: Record<string, Kind> = { cdp: 'cdp', lldp: 'lldp', dhcp: 'dhcp-to-server', tftp: 'tftp' };
  for (const [dir, dirKind] of Object.entries(dirs)) {
    for (const file of readdirSync(join(PCAP_DIR, dir)).filter((f) => f.endsWith('.pcap'))) {
      const capture = readCapture(readFileSync(join(PCAP_DIR, dir, file)));
      expect(capture.ok, file).toBe(true);
      for (const f of capture.frames) {
        let kind = MIXED[file] ? (MIXED[file][f.number] ?? 'lldp') : dirKind;
        // DHCP: DISCOVER and REQUEST go to port 67; OFFER and ACK come back to port 68.
        if (kind === 'dhcp-to-server' && f.number % 2 === 0) kind = 'dhcp-to-client';
        samples.push({ name: `${file}#${f.number}`, kind, frame: asKernelSeesIt(Buffer.from(f.data)) });
      }
    }
  }
  samples.push({ name: 'ARP who-has', kind: 'arp', frame: arpRequest() });
  return samples;
}

function arpRequest(): Buffer {
  return Buffer.from('ffffffffffff' + '00005e005301' + '0806' + '000108000604' + '0001' + '00005e005301' + 'c0a80a01' + '000000000000' + 'c0a80a63' + '00'.repeat(18), 'hex');
}

const samples = loadSamples();
const accepted = (program: BpfProgram, kind: Kind) => samples.filter((s) => s.kind === kind).map((s) => [s.name, runBpf(program, s.frame)]);

describe('filters on captured frames', () => {
  it('has frames of every kind to test with', () => {
    for (const kind of ['cdp', 'lldp', 'dhcp-to-server', 'dhcp-to-client', 'tftp', 'arp'] as Kind[]) {
      expect(samples.some((s) => s.kind === kind), kind).toBe(true);
    }
  });

  const cases: Array<[string, () => BpfProgram, Kind[]]> = [
    ['lldpFilter', lldpFilter, ['lldp']],
    ['cdpFilter', cdpFilter, ['cdp']],
    ['dhcpServerFilter', dhcpServerFilter, ['dhcp-to-server']],
    ['arpFilter', arpFilter, ['arp']],
  ];
  for (const [name, make, wanted] of cases) {
    it(`${name} accepts its own frames whole and rejects every other frame`, () => {
      const program = make();
      for (const s of samples) {
        const verdict = runBpf(program, s.frame);
        if (wanted.includes(s.kind)) expect(verdict, s.name).toBeGreaterThanOrEqual(s.frame.length);
        else expect(verdict, s.name).toBe(0);
      }
      expect(accepted(program, wanted[0]).length).toBeGreaterThan(0);
    });
  }
});

describe('dhcpServerFilter on edge cases', () => {
  const discover = samples.find((s) => s.kind === 'dhcp-to-server')!.frame;

  it('finds the UDP port behind IPv4 options', () => {
    // Same DISCOVER with a 4-byte IPv4 option (NOP x3 + EOL): IHL 6, ports 4 bytes further on.
    const withOptions = Buffer.concat([discover.subarray(0, 34), Buffer.from([1, 1, 1, 0]), discover.subarray(34)]);
    withOptions[14] = 0x46;
    expect(runBpf(dhcpServerFilter(), withOptions)).toBe(ACCEPT);
    // Without the IHL fix-up the filter would read the wrong bytes as the port.
    withOptions[14] = 0x45;
    expect(runBpf(dhcpServerFilter(), withOptions)).toBe(0);
  });

  it('drops non-first fragments but keeps a first fragment', () => {
    const later = Buffer.from(discover);
    later.writeUInt16BE(0x0001, 20); // fragment offset 8 bytes
    expect(runBpf(dhcpServerFilter(), later)).toBe(0);
    const first = Buffer.from(discover);
    first.writeUInt16BE(0x2000, 20); // more-fragments, offset 0
    expect(runBpf(dhcpServerFilter(), first)).toBe(ACCEPT);
  });

  it('drops truncated frames instead of reading past them', () => {
    for (const len of [0, 13, 14, 23, 35]) expect(runBpf(dhcpServerFilter(), discover.subarray(0, len)), `len ${len}`).toBe(0);
  });
});

describe('cdpFilter on edge cases', () => {
  const cdp = samples.find((s) => s.kind === 'cdp')!.frame;

  it('rejects the CDP address with another SNAP protocol (e.g. VTP 0x2003)', () => {
    const vtp = Buffer.from(cdp);
    vtp.writeUInt16BE(0x2003, 20);
    expect(runBpf(cdpFilter(), vtp)).toBe(0);
  });

  it('rejects an Ethernet II frame to the CDP address', () => {
    const ethII = Buffer.from(cdp);
    ethII.writeUInt16BE(0x0800, 12);
    expect(runBpf(cdpFilter(), ethII)).toBe(0);
  });

  it('rejects a CDP body sent to another address', () => {
    const unicast = Buffer.from(cdp);
    unicast[5] = 0xcd;
    expect(runBpf(cdpFilter(), unicast)).toBe(0);
  });
});

describe('assembler', () => {
  it('resolves labels into forward skips', () => {
    const program = assemble([ldh(12), jeq(0x88cc, 'yes', 'no'), label('no'), ret(0), label('yes'), ret(7)]);
    expect(program).toEqual([
      { code: 0x28, jt: 0, jf: 0, k: 12 },
      { code: 0x15, jt: 1, jf: 0, k: 0x88cc },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
      { code: 0x06, jt: 0, jf: 0, k: 7 },
    ]);
  });

  it('rejects undefined labels, backward jumps and duplicate labels', () => {
    expect(() => assemble([jeq(1, 'nowhere', 0), ret(0)])).toThrow(/not defined/);
    expect(() => assemble([label('top'), ldh(12), jeq(1, 'top', 0), ret(0)])).toThrow(/out of range/);
    expect(() => assemble([label('a'), label('a'), ret(0)])).toThrow(/twice/);
    expect(() => assemble([])).toThrow();
  });

  it('packs struct sock_filter in host byte order', () => {
    const packed = packBpf([{ code: 0x15, jt: 2, jf: 3, k: 0x88cc }]);
    expect(packed.length).toBe(8);
    const expected = endianness() === 'LE' ? '1500' + '02' + '03' + 'cc880000' : '0015' + '02' + '03' + '000088cc';
    expect(packed.toString('hex')).toBe(expected);
  });
});

// A second oracle: the same frames through tcpdump's own compiled programs must get the same verdicts.
describe('agreement with tcpdump-compiled filters', () => {
  const compile = (expr: string): BpfProgram => {
    const out = execFileSync('tcpdump', ['-y', 'EN10MB', '-ddd', expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim().split('\n').slice(1).map((line) => {
      const [code, jt, jf, k] = line.trim().split(/\s+/).map(Number);
      return { code, jt, jf, k: k >>> 0 };
    });
  };
  const pairs: Array<[string, () => BpfProgram, string]> = [
    ['lldpFilter', lldpFilter, 'ether proto 0x88cc'],
    ['arpFilter', arpFilter, 'arp'],
    ['dhcpServerFilter', dhcpServerFilter, 'ip and udp dst port 67'],
    ['cdpFilter', cdpFilter, 'ether dst 01:00:0c:cc:cc:cc and ether[12:2] <= 1500 and ether[14:4] = 0xaaaa0300 and ether[18:4] = 0x000c2000'],
  ];
  for (const [name, make, expr] of pairs) {
    it(`${name} agrees with tcpdump '${expr}'`, () => {
      const oracle = compile(expr);
      for (const s of samples) expect(runBpf(make(), s.frame) > 0, s.name).toBe(runBpf(oracle, s.frame) > 0);
    });
  }
});
