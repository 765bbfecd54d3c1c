// SCCP messages out of captured TCP segments (for `outpost decode` and the golden tests): each
// direction of each TCP stream is followed by sequence number, so messages split across
// segments or coalesced into one come out whole, attributed to the frame that completed them
// (as tshark does). Retransmitted bytes are skipped; a gap (a segment not captured) drops the
// partial message rather than misframing the rest of the stream.
import { parseFrame } from '../util/packet.js';
import type { CapturedFrame } from '../util/pcap.js';
import { SccpFramer } from './framer.js';

export const SCCP_PORT = 2000;

export interface CapturedMessage {
  frame: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  message: Buffer;
}

export type CapturedOutcome = CapturedMessage | { frame: number; error: string };

interface Direction {
  framer: SccpFramer;
  nextSeq?: number;
}

const SYN = 0x02;

export class SccpStreamFollower {
  private readonly directions = new Map<string, Direction>();

  constructor(private readonly ports = new Set([SCCP_PORT])) {}

  /** Feeds one captured frame; returns what SCCP it completes (nothing for other traffic). */
  push(f: CapturedFrame): CapturedOutcome[] {
    const p = parseFrame(f.data, f.linkType);
    if (!p.ok || p.value.protocol !== 'tcp' || !p.value.tcp) return [];
    const pkt = p.value;
    const tcp = p.value.tcp;
    if (!this.ports.has(pkt.srcPort) && !this.ports.has(pkt.dstPort)) return [];
    const key = `${pkt.srcIp}:${pkt.srcPort}>${pkt.dstIp}:${pkt.dstPort}`;
    let dir = this.directions.get(key);
    // A message cannot start inside a segment that only repeats old bytes, so a retransmission is trimmed.
    if (!dir || (tcp.flags & SYN) !== 0) {
      dir = { framer: new SccpFramer() };
      this.directions.set(key, dir);
    }
    if ((tcp.flags & SYN) !== 0) dir.nextSeq = (tcp.seq + 1) >>> 0;
    let payload = pkt.payload;
    if (payload.length === 0) return [];
    const ahead = dir.nextSeq === undefined ? 0 : (tcp.seq - dir.nextSeq) | 0;
    dir.nextSeq = (tcp.seq + pkt.payload.length) >>> 0;
    if (ahead > 0) {
      // Bytes were not captured: where the next message starts is unknown until the next segment.
      dir.framer = new SccpFramer();
      return [];
    }
    if (ahead < 0) payload = payload.subarray(Math.min(payload.length, -ahead));
    if (payload.length === 0) return [];
    const outcomes = dir.framer.push(payload);
    if (dir.framer.error) dir.framer = new SccpFramer(); // resynchronise at the next segment
    return outcomes.map((o) => (o.ok
      ? { frame: f.number, srcIp: pkt.srcIp, dstIp: pkt.dstIp, srcPort: pkt.srcPort, dstPort: pkt.dstPort, message: o.message }
      : { frame: f.number, error: o.error }));
  }
}
