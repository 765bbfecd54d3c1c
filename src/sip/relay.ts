// Via helpers for the proxy (RFC 3261 §16.11, §18.2.1, RFC 3581): the branch of a stateless
// ACK, received/rport on the phone's Via, Outpost's own Via off a response, and where a
// response goes next.
import { createHash, randomBytes } from 'node:crypto';
import type { SipMessage, SipRequest } from './message.js';
import { getHeader, getHeaders, canonicalHeaderName } from './message.js';
import { formatVia, getParam, parseVia, type Via } from './headers.js';

export const BRANCH_PREFIX = 'z9hG4bKop';

// A fresh branch is this run's random prefix and a counter: unique in space and time
// (RFC 3261 §8.1.1.7) without asking the kernel for random bytes per relayed request.
const RUN = randomBytes(6).toString('hex');
let branches = 0;

/** A branch for a new request Outpost originates or relays statefully. */
export function newBranch(): string {
  branches = (branches + 1) % Number.MAX_SAFE_INTEGER;
  return `${BRANCH_PREFIX}${RUN}${branches.toString(36)}`;
}

/**
 * Outpost's branch for a relayed request: derived from the phone's own branch so that a
 * retransmission maps to the same upstream transaction (and ACK/CANCEL to the INVITE's).
 */
export function relayBranch(req: SipRequest): string {
  const top = getHeader(req, 'via') ?? '';
  const method = req.method === 'ACK' || req.method === 'CANCEL' ? 'INVITE' : req.method;
  return BRANCH_PREFIX + createHash('sha1').update(top).update(method).digest('hex').slice(0, 20);
}

/** Records where the request really came from on its top Via (received, and rport when asked). */
export function stampReceived(req: SipRequest, from: { address: string; port: number }): SipRequest {
  const first = req.headers.findIndex((h) => canonicalHeaderName(h.name) === 'via');
  if (first < 0) return req;
  const values = getHeaders({ headers: [req.headers[first]] }, 'via');
  const via = parseVia(values[0] ?? '');
  if (!via.ok) return req;
  const params = via.value.params.map((p) => (p.name.toLowerCase() === 'rport' ? { name: 'rport', value: String(from.port) } : p));
  if (via.value.host !== from.address || getParam(params, 'rport')) {
    if (!getParam(params, 'received')) params.push({ name: 'received', value: from.address });
  }
  const stamped = formatVia({ ...via.value, params });
  const headers = [...req.headers];
  headers[first] = { name: headers[first].name, value: [stamped, ...values.slice(1)].join(', ') };
  return { ...req, headers };
}

/** Removes Outpost's top Via from a response; undefined when the top Via is not Outpost's. */
export function popOwnVia(res: SipMessage): { message: SipMessage; branch: string } | undefined {
  const idx = res.headers.findIndex((h) => canonicalHeaderName(h.name) === 'via');
  if (idx < 0) return undefined;
  const values = getHeaders({ headers: [res.headers[idx]] }, 'via');
  const top = parseVia(values[0] ?? '');
  const branch = top.ok ? getParam(top.value.params, 'branch')?.value : undefined;
  if (!branch?.startsWith(BRANCH_PREFIX)) return undefined;
  const headers = [...res.headers];
  if (values.length > 1) headers[idx] = { name: headers[idx].name, value: values.slice(1).join(', ') };
  else headers.splice(idx, 1);
  return { message: { ...res, headers }, branch };
}

/** Where a response goes: the top Via's received/rport, else its sent-by (RFC 3261 §18.2.2, RFC 3581). */
export function responseDestination(res: SipMessage): { address: string; port: number } | undefined {
  const via = parseVia(getHeader(res, 'via') ?? '');
  if (!via.ok) return undefined;
  return destinationOf(via.value);
}

function destinationOf(via: Via): { address: string; port: number } {
  const received = getParam(via.params, 'received')?.value;
  const rport = Number(getParam(via.params, 'rport')?.value);
  return { address: received ?? via.host, port: Number.isInteger(rport) && rport > 0 ? rport : via.port ?? 5060 };
}
