// A tiny classic-BPF assembler and the kernel filters Outpost attaches to its raw sockets,
// so the daemon only wakes for the frames it serves (CDP, LLDP, DHCP, ARP) on a busy LAN.
import { endianness } from 'node:os';

/** One `struct sock_filter`: jt/jf are forward skips (0..255), k the operand. */
export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}
export type BpfProgram = BpfInstruction[];

// Opcode parts, as in <linux/bpf_common.h>.
export const BPF = {
  LD: 0x00, LDX: 0x01, ALU: 0x04, JMP: 0x05, RET: 0x06,
  W: 0x00, H: 0x08, B: 0x10,
  IMM: 0x00, ABS: 0x20, IND: 0x40, MSH: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  K: 0x00, X: 0x08, A: 0x10,
} as const;

/** Bytes of an accepted frame to keep: more than any frame Outpost can receive. */
export const ACCEPT = 0x40000;
export const DROP = 0;

/** A jump target: a label defined later in the listing, or a plain skip count. */
type Target = string | number;
/** A line of assembly: an instruction whose jumps may name labels, or a label. */
export type AsmLine = { code: number; jt?: Target; jf?: Target; k?: number } | { label: string };

export const label = (name: string): AsmLine => ({ label: name });
/** A = 32-bit word at [offset] (network order). */
export const ldw = (offset: number): AsmLine => ({ code: BPF.LD | BPF.W | BPF.ABS, k: offset });
/** A = 16-bit half-word at [offset]. */
export const ldh = (offset: number): AsmLine => ({ code: BPF.LD | BPF.H | BPF.ABS, k: offset });
/** A = byte at [offset]. */
export const ldb = (offset: number): AsmLine => ({ code: BPF.LD | BPF.B | BPF.ABS, k: offset });
/** A = half-word at [X + offset]. */
export const ldhx = (offset: number): AsmLine => ({ code: BPF.LD | BPF.H | BPF.IND, k: offset });
/** X = 4 * ([offset] & 0xf): the IPv4 header length when offset points at the version/IHL byte. */
export const ldxIpHeaderLength = (offset: number): AsmLine => ({ code: BPF.LDX | BPF.B | BPF.MSH, k: offset });
export const jeq = (k: number, jt: Target, jf: Target): AsmLine => ({ code: BPF.JMP | BPF.JEQ | BPF.K, k, jt, jf });
export const jgt = (k: number, jt: Target, jf: Target): AsmLine => ({ code: BPF.JMP | BPF.JGT | BPF.K, k, jt, jf });
/** Jump to jt if A & k is non-zero. */
export const jset = (k: number, jt: Target, jf: Target): AsmLine => ({ code: BPF.JMP | BPF.JSET | BPF.K, k, jt, jf });
export const ret = (k: number): AsmLine => ({ code: BPF.RET | BPF.K, k });

/** Resolves labels into forward skip counts; throws on a bad listing (a programming error). */
export function assemble(lines: AsmLine[]): BpfProgram {
  const positions = new Map<string, number>();
  let pc = 0;
  for (const line of lines) {
    if ('label' in line) {
      if (positions.has(line.label)) throw new Error(`BPF label '${line.label}' defined twice`);
      positions.set(line.label, pc);
    } else pc++;
  }
  const program: BpfProgram = [];
  for (const line of lines) {
    if ('label' in line) continue;
    const here = program.length;
    const skip = (target: Target | undefined): number => {
      if (target === undefined) return 0;
      const to = typeof target === 'number' ? here + 1 + target : positions.get(target);
      if (to === undefined) throw new Error(`BPF label '${String(target)}' is not defined`);
      const offset = to - here - 1;
      if (offset < 0 || offset > 255) throw new Error(`BPF jump from ${here} to '${String(target)}' is out of range`);
      return offset;
    };
    program.push({ code: line.code, jt: skip(line.jt), jf: skip(line.jf), k: (line.k ?? 0) >>> 0 });
  }
  if (program.length === 0 || program.length > 4096) throw new Error('a BPF program has 1 to 4096 instructions');
  return program;
}

/** Packs a program as the kernel's `struct sock_filter` array, in host byte order. */
export function packBpf(program: BpfProgram): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  const le = endianness() === 'LE';
  program.forEach((insn, i) => {
    const o = i * 8;
    if (le) {
      buf.writeUInt16LE(insn.code, o);
      buf.writeUInt32LE(insn.k >>> 0, o + 4);
    } else {
      buf.writeUInt16BE(insn.code, o);
      buf.writeUInt32BE(insn.k >>> 0, o + 4);
    }
    buf.writeUInt8(insn.jt, o + 2);
    buf.writeUInt8(insn.jf, o + 3);
  });
  return buf;
}

/** LLDP: Ethernet II with ethertype 0x88cc. */
export function lldpFilter(): BpfProgram {
  return assemble([
    ldh(12), //                               ethertype
    jeq(0x88cc, 'accept', 'drop'),
    label('accept'), ret(ACCEPT),
    label('drop'), ret(DROP),
  ]);
}

/** CDP: 802.3 frame to 01:00:0c:cc:cc:cc carrying LLC/SNAP aa aa 03, OUI 00:00:0c, PID 0x2000. */
export function cdpFilter(): BpfProgram {
  return assemble([
    ldw(0), //                                destination MAC, first four bytes
    jeq(0x01000ccc, 0, 'drop'),
    ldh(4), //                                destination MAC, last two bytes
    jeq(0xcccc, 0, 'drop'),
    ldh(12), //                               802.3 length (an ethertype would be > 1500)
    jgt(1500, 'drop', 0),
    ldw(14), //                               DSAP aa, SSAP aa, control 03, OUI first byte 00
    jeq(0xaaaa0300, 0, 'drop'),
    ldw(18), //                               OUI 00 0c, PID 20 00
    jeq(0x000c2000, 'accept', 'drop'),
    label('accept'), ret(ACCEPT),
    label('drop'), ret(DROP),
  ]);
}

/** Frames for a DHCP server: IPv4, UDP, first (or only) fragment, destination port 67. */
export function dhcpServerFilter(): BpfProgram {
  return assemble([
    ldh(12), //                               ethertype
    jeq(0x0800, 0, 'drop'),
    ldb(23), //                               IPv4 protocol
    jeq(17, 0, 'drop'),
    ldh(20), //                               flags + fragment offset
    jset(0x1fff, 'drop', 0), //               a later fragment has no UDP header
    ldxIpHeaderLength(14), //                 X = IPv4 header length
    ldhx(16), //                              UDP destination port: 14 + X + 2
    jeq(67, 'accept', 'drop'),
    label('accept'), ret(ACCEPT),
    label('drop'), ret(DROP),
  ]);
}

/** ARP: ethertype 0x0806 (the DHCP server's address-conflict probes). */
export function arpFilter(): BpfProgram {
  return assemble([
    ldh(12), //                               ethertype
    jeq(0x0806, 'accept', 'drop'),
    label('accept'), ret(ACCEPT),
    label('drop'), ret(DROP),
  ]);
}
