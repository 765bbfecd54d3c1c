// Builds responses to a request as a UAS would (RFC 3261 §8.2.6): Via, From, To (+tag),
// Call-ID and CSeq copied from the request.
import { createHash } from 'node:crypto';
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

/** A To tag that is the same for every retransmission of one request. */
function toTag(req: SipRequest): string {
  const callId = req.headers.find((h) => canonicalHeaderName(h.name) === 'call-id')?.value ?? '';
  return createHash('sha1').update(callId).update(req.uri).digest('hex').slice(0, 10);
}
