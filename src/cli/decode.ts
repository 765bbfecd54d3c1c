// `outpost decode FILE.pcap[ng]`: one JSON object per CDP, LLDP, DHCP, SIP and SCCP message, in the
// shape operators compare with a phone's trace. Malformed messages print {frame, error}.
import { readFileSync } from 'node:fs';
import { describeDhcpFrame } from '../dhcp/describe.js';
import { describeLinkFrame } from '../link/describe.js';
import { describeSipPayload } from '../sip/describe.js';
import { TftpTracker } from '../files/tftp/describe.js';
import { SccpStreamFollower } from '../sccp/capture.js';
import { describeCapturedSccp } from '../sccp/describe.js';
import { parseFrame } from '../util/packet.js';
import { readCapture, type CapturedFrame } from '../util/pcap.js';

const SIP_PORTS = new Set([5060]);
const ETHERNET = 1;

export function describeFrame(f: CapturedFrame, tftp = new TftpTracker()): object | undefined {
  if (f.linkType === ETHERNET) {
    const described = describeLinkFrame(f.number, f.data) ?? describeDhcpFrame(f.number, f.data);
    if (described) return described;
  }
  const packet = parseFrame(f.data, f.linkType);
  if (!packet.ok || packet.value.payload.length === 0) return undefined;
  if (SIP_PORTS.has(packet.value.srcPort) || SIP_PORTS.has(packet.value.dstPort)) return describeSipPayload(f.number, packet.value.payload);
  if (packet.value.protocol === 'udp') return tftp.describe(f.number, packet.value);
  return undefined;
}

export function describeCapture(buf: Buffer): { records: object[]; error?: string } {
  const capture = readCapture(buf);
  const tftp = new TftpTracker(); // a transfer's packets are recognised from its request on
  const sccp = new SccpStreamFollower(); // SCCP messages are cut out of each TCP stream, across segments
  const records = capture.frames.flatMap((f) => {
    const skinny = sccp.push(f);
    if (skinny.length > 0) return skinny.map(describeCapturedSccp);
    return [describeFrame(f, tftp)];
  }).filter((r): r is object => r !== undefined);
  return capture.ok ? { records } : { records, error: capture.error };
}

/** A one-line human summary of a record (without --json). */
function summarize(r: Record<string, unknown>): string {
  const skip = new Set(['frame', 'protocol', 'tlvs', 'options']);
  const fields = Object.entries(r).filter(([k, v]) => !skip.has(k) && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${String(r.frame).padStart(5)}  ${String(r.protocol ?? '?').padEnd(5)} ${fields.join(' ')}`;
}

export function runDecode(file: string, json: boolean): number {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    process.stderr.write(`outpost decode: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const { records, error } = describeCapture(buf);
  for (const r of records) process.stdout.write(`${json ? JSON.stringify(r) : summarize(r as Record<string, unknown>)}\n`);
  if (error) {
    process.stderr.write(`outpost decode: ${file}: ${error}\n`);
    return 1;
  }
  return 0;
}
