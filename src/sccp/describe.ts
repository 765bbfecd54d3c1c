// One SCCP message as the flat JSON record `outpost decode` prints: id, name, header fields and
// the typed fields, with the short names operators search for (stationIp, keepAlive).
import type { CapturedOutcome } from './capture.js';
import { decodeMessage, type SccpMessage } from './codec.js';

export function describeSccpMessage(frame: number, message: Buffer): Record<string, unknown> {
  const decoded = decodeMessage(message);
  if (!decoded.ok) return { frame, protocol: 'sccp', messageId: message.length >= 12 ? message.readUInt32LE(8) : undefined, error: decoded.error };
  return { frame, protocol: 'sccp', ...summarizeMessage(decoded.value) };
}

export function summarizeMessage(msg: SccpMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { messageId: msg.id, messageName: msg.name, headerVersion: msg.version };
  if (msg.kind === 'raw') {
    out.bodyLength = msg.body.length;
    return out;
  }
  for (const [name, value] of Object.entries(msg.fields)) out[name] = plain(value);
  if (msg.name === 'RegisterReq') {
    out.stationIp = msg.fields.stationIpAddr;
    if (msg.fields.macAddress) out.macAddress = [...msg.fields.macAddress].map((b) => b.toString(16).padStart(2, '0')).join(':');
  }
  if (msg.name === 'RegisterAck') out.keepAlive = msg.fields.keepAliveInterval;
  if (msg.trailing) out.trailingBytes = msg.trailing.length;
  return out;
}

function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (Array.isArray(v)) return v.map((e) => (e && typeof e === 'object' ? Object.fromEntries(Object.entries(e).map(([k, x]) => [k, plain(x)])) : e));
  return v;
}

export function describeCapturedSccp(outcome: CapturedOutcome): Record<string, unknown> {
  if ('error' in outcome) return { frame: outcome.frame, protocol: 'sccp', error: outcome.error };
  return {
    ...describeSccpMessage(outcome.frame, outcome.message),
    src: `${outcome.srcIp}:${outcome.srcPort}`, dst: `${outcome.dstIp}:${outcome.dstPort}`,
  };
}
