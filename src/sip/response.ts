// Builds responses to a request as a UAS would (RFC 3261 §8.2.6): Via, From, To (+tag),
// Call-ID and CSeq copied from the request.
import type { SipHeader, SipRequest, SipResponse } from './message.js';
import { canonicalHeaderName } from './message.js';

const COPIED = new Set(['via', 'from', 'call-id', 'cseq']);

export function buildResponse(req: SipRequest, status: number, reason: string, extra: SipHeader[] = []): SipResponse {
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    const name = canonicalHeaderName(h.name);
    if (COPIED.has(name)) headers.push(h);
    else if (name === 'to') headers.push(status > 100 && !/;\s*tag=/i.test(h.value) ? { name: h.name, value: `${h.value};tag=${toTag(req)}` } : h);
  }
  headers.push({ name: 'Server', value: 'Outpost' }, ...extra);
  return { kind: 'response', version: 'SIP/2.0', status, reason, headers, body: Buffer.alloc(0) };
}

/**
 * A To tag that is the same for every retransmission of one request: FNV-1a of Call-ID and
 * Request-URI under two seeds. It only has to be unique, not secret, and it is on the hot
 * path of every REGISTER the survival registrar answers.
 */
function toTag(req: SipRequest): string {
  const callId = req.headers.find((h) => canonicalHeaderName(h.name) === 'call-id')?.value ?? '';
  const text = `${callId} ${req.uri}`;
  // Both seeds in one pass over the text.
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0').slice(0, 4);
}
