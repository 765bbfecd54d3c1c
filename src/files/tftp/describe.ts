// The one-line JSON summary `outpost decode FILE.pcap --json` prints for a TFTP packet. Requests
// go to port 69; the rest of a transfer runs between ephemeral ports, so the tracker remembers
// each requesting client's address and port (its transfer ID) to recognise what follows.
import { decodeTftp } from './codec.js';

export const TFTP_PORT = 69;

export interface TftpDescription {
  frame: number;
  protocol: 'tftp';
  opcode: 'RRQ' | 'WRQ' | 'DATA' | 'ACK' | 'ERROR' | 'OACK';
  src: string;
  dst: string;
  filename?: string;
  mode?: string;
  options?: Record<string, string>;
  block?: number;
  bytes?: number;
  code?: number;
  message?: string;
}

interface Endpoints { srcIp: string; srcPort: number; dstIp: string; dstPort: number; payload: Buffer }

export class TftpTracker {
  private readonly clients = new Set<string>();

  /** A description when the packet is TFTP (a request to port 69, or part of a transfer seen starting). */
  describe(frame: number, p: Endpoints): TftpDescription | { frame: number; protocol: 'tftp'; error: string } | undefined {
    const src = `${p.srcIp}:${p.srcPort}`;
    const dst = `${p.dstIp}:${p.dstPort}`;
    const isRequest = p.dstPort === TFTP_PORT;
    if (!isRequest && !this.clients.has(src) && !this.clients.has(dst)) return undefined;
    const decoded = decodeTftp(p.payload);
    if (!decoded.ok) return { frame, protocol: 'tftp', error: decoded.error };
    const pkt = decoded.value;
    const base = { frame, protocol: 'tftp' as const, src, dst };
    switch (pkt.op) {
      case 'rrq':
      case 'wrq':
        this.clients.add(src);
        return { ...base, opcode: pkt.op === 'rrq' ? 'RRQ' : 'WRQ', filename: pkt.filename, mode: pkt.mode, options: Object.fromEntries(pkt.options.map((o) => [o.name, o.value])) };
      case 'oack':
        return { ...base, opcode: 'OACK', options: Object.fromEntries(pkt.options.map((o) => [o.name, o.value])) };
      case 'data':
        return { ...base, opcode: 'DATA', block: pkt.block, bytes: pkt.data.length };
      case 'ack':
        return { ...base, opcode: 'ACK', block: pkt.block };
      case 'error':
        return { ...base, opcode: 'ERROR', code: pkt.code, message: pkt.message };
    }
  }
}
