// Writes a two-way SCCP conversation as Ethernet/IPv4/TCP frames in a pcap, so tshark can
// judge what Outpost sends: one segment per message, sequence numbers continuous per side.
import { writeFileSync } from 'node:fs';
import { writePcap } from '../../../src/util/pcap-writer.js';

export interface Segment {
  fromPhone: boolean;
  payload: Buffer;
}

const PHONE = { mac: '02:00:00:00:00:05', ip: [10, 20, 0, 50], port: 51000 };
const AGENT = { mac: '02:00:0a:14:00:01', ip: [10, 20, 0, 1], port: 2000 };

function frame(from: typeof PHONE, to: typeof PHONE, seq: number, ack: number, payload: Buffer): Buffer {
  const eth = Buffer.alloc(14);
  Buffer.from(to.mac.replace(/:/g, ''), 'hex').copy(eth, 0);
  Buffer.from(from.mac.replace(/:/g, ''), 'hex').copy(eth, 6);
  eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 20 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from(from.ip).copy(ip, 12);
  Buffer.from(to.ip).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(from.port, 0);
  tcp.writeUInt16BE(to.port, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = 0x18; // PSH, ACK
  tcp.writeUInt16BE(65535, 14);
  return Buffer.concat([eth, ip, tcp, payload]);
}

export function writeConversation(path: string, segments: Segment[]): void {
  let phoneSeq = 1000;
  let agentSeq = 5000;
  const frames = segments.map((s, i) => {
    const f = s.fromPhone ? frame(PHONE, AGENT, phoneSeq, agentSeq, s.payload) : frame(AGENT, PHONE, agentSeq, phoneSeq, s.payload);
    if (s.fromPhone) phoneSeq += s.payload.length;
    else agentSeq += s.payload.length;
    return { data: f, time: 1_700_000_000 + i / 1000 };
  });
  writeFileSync(path, writePcap(frames, 1));
}
