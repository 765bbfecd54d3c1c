// Loads every SIP message from the capture fixtures, with the frame tshark attributes it to:
// UDP datagrams one by one, TCP segments through the stream framer per direction (the 200 OK
// with SDP in the CUCM call spans two segments; tshark reports it at the second).

import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readCapture } from '../../../src/util/pcap.js';
import { parseFrame } from '../../../src/util/packet.js';
import { SipStreamFramer } from '../../../src/sip/framing.js';

export const SIP_FIXTURE_DIR = join(import.meta.dirname, '../../fixtures/pcap/sip');

export interface FixtureMessage {
  file: string;
  frame: number;
  transport: 'udp' | 'tcp';
  bytes: Buffer;
}

export const sipFixtureFiles = (): string[] => readdirSync(SIP_FIXTURE_DIR).filter((f) => f.endsWith('.pcapng') || f.endsWith('.pcap')).sort();

/** Concatenated TCP payload per direction, for the framer tests. */
export function tcpStreams(file: string): Buffer[] {
  const cap = readCapture(readFileSync(join(SIP_FIXTURE_DIR, file)));
  const streams = new Map<string, Buffer[]>();
  for (const f of cap.frames) {
    const p = parseFrame(f.data, f.linkType);
    if (!p.ok || p.value.protocol !== 'tcp' || p.value.payload.length === 0) continue;
    const key = `${p.value.srcIp}:${p.value.srcPort}>${p.value.dstIp}:${p.value.dstPort}`;
    streams.set(key, [...(streams.get(key) ?? []), p.value.payload]);
  }
  return [...streams.values()].map((parts) => Buffer.concat(parts));
}

export function loadFixtureMessages(file: string): FixtureMessage[] {
  const cap = readCapture(readFileSync(join(SIP_FIXTURE_DIR, file)));
  if (!cap.ok) throw new Error(`${file}: ${cap.error}`);
  const framers = new Map<string, SipStreamFramer>();
  const out: FixtureMessage[] = [];
  for (const f of cap.frames) {
    const p = parseFrame(f.data, f.linkType);
    if (!p.ok) throw new Error(`${file} frame ${f.number}: ${p.error}`);
    const pkt = p.value;
    if (pkt.protocol === 'udp') {
      out.push({ file, frame: f.number, transport: 'udp', bytes: Buffer.from(pkt.payload) });
      continue;
    }
    if (pkt.payload.length === 0) continue;
    const key = `${pkt.srcIp}:${pkt.srcPort}>${pkt.dstIp}:${pkt.dstPort}`;
    let framer = framers.get(key);
    if (!framer) { framer = new SipStreamFramer(); framers.set(key, framer); }
    for (const item of framer.push(pkt.payload)) {
      if (!item.ok) throw new Error(`${file} frame ${f.number}: ${item.error}`);
      if (item.value.kind === 'message') out.push({ file, frame: f.number, transport: 'tcp', bytes: item.value.bytes });
    }
  }
  return out;
}

export const allFixtureMessages = (): FixtureMessage[] => sipFixtureFiles().flatMap(loadFixtureMessages);

/** tshark's first value of each field, per frame that carries SIP. */
export function tsharkFields(file: string, fields: string[]): Map<number, Record<string, string>> {
  const out = execFileSync('tshark', [
    '-r', join(SIP_FIXTURE_DIR, file), '-Y', 'sip', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f',
    '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f]),
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = new Map<number, Record<string, string>>();
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const [frame, ...values] = line.split('|');
    rows.set(Number(frame), Object.fromEntries(fields.map((f, i) => [f, values[i] ?? ''])));
  }
  return rows;
}

export { prng } from '../../support/prng.js';
