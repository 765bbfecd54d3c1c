// The local registrar Outpost becomes when the WAN is down (and for Cisco keep-alives to a
// backup registrar): REGISTER answered 200 with the granted expiry, and the binding recorded.
import type { SipHeader, SipRequest, SipResponse } from './message.js';
import { getHeader, getHeaders } from './message.js';
import { addressUser, formatNameAddr, parseCSeq, parseContactHeaders, parseContacts, parseDeltaSeconds, parseNameAddr, type Contact } from './headers.js';
import { buildResponse } from './response.js';
import type { SipBinding } from './bindings.js';
import { ok } from '../util/result.js';
import type { TransportName } from './transport.js';

export interface RegisterOutcome {
  response: SipResponse;
  /** Bindings to save (granted) and contacts to delete (expired by the phone). */
  save: SipBinding[];
  remove: { aor: string; contact?: string }[];
}

/** Normalized address of record: `sip:2001@host` without parameters. */
export function addressOfRecord(toValue: string): string | undefined {
  const a = parseNameAddr(toValue);
  return a.ok ? a.value.uri.split(';')[0] : undefined;
}

export interface LocalRegisterOptions {
  maxExpires: number;
  /** The phone's address as ip:port. */
  source: string;
  transport: TransportName;
  /** Flow token of the phone's connection or address. */
  flow: string;
  /** The REGISTER as received, kept for the hand-back to CUCM. */
  register?: Buffer;
  deviceName?: string;
  keepAlive: boolean;
  /** The Contact headers, when the caller has parsed them already. */
  contacts?: { wildcard: boolean; contacts: Contact[] };
  now?: number;
}

export function registerLocally(req: SipRequest, opts: LocalRegisterOptions): RegisterOutcome {
  const now = opts.now ?? Date.now();
  const to = getHeader(req, 'to');
  const aor = to ? addressOfRecord(to) : undefined;
  const cseq = parseCSeq(getHeader(req, 'cseq') ?? '');
  const callId = getHeader(req, 'call-id');
  if (!aor || !cseq.ok || !callId) {
    return { response: buildResponse(req, 400, 'Bad Request'), save: [], remove: [] };
  }
  const headerExpires = parseDeltaSeconds(getHeader(req, 'expires') ?? '3600');
  const defaultExpires = headerExpires.ok ? headerExpires.value : 3600;
  const parsed = opts.contacts ? ok(opts.contacts) : parseContactHeaders(getHeaders(req, 'contact'));
  if (!parsed.ok) return { response: buildResponse(req, 400, 'Bad Request', [{ name: 'Warning', value: `399 outpost "${parsed.error}"` }]), save: [], remove: [] };
  // "Contact: *" with Expires 0 removes every binding of the AoR (RFC 3261 §10.2.2).
  if (parsed.value.wildcard) return { response: buildResponse(req, 200, 'OK'), save: [], remove: [{ aor }] };
  const contacts = parsed.value.contacts;
  // A Cisco keep-alive carries Expires 0 but must not remove anything.
  if (opts.keepAlive) return { response: buildResponse(req, 200, 'OK'), save: [], remove: [] };

  const save: SipBinding[] = [];
  const remove: { aor: string; contact: string }[] = [];
  const granted: SipHeader[] = [];
  const dn = addressUser(to!);
  for (const c of contacts) {
    const asked = c.expires ?? defaultExpires;
    if (asked === 0) {
      remove.push({ aor, contact: c.uri });
      continue;
    }
    const expires = Math.min(asked, opts.maxExpires);
    const params = c.params.filter((p) => p.name.toLowerCase() !== 'expires');
    granted.push({ name: 'Contact', value: `${formatNameAddr({ ...c, params })};expires=${expires}` });
    save.push({
      protocol: 'sip', transport: opts.transport, flow: opts.flow, register: opts.register, aor, contact: c.uri, deviceName: opts.deviceName, dn, callId, cseq: cseq.value.seq,
      expiresAt: new Date(now + expires * 1000).toISOString(), servedBy: 'local', source: opts.source,
    });
  }
  granted.push({ name: 'Date', value: httpDate(now) });
  return { response: buildResponse(req, 200, 'OK', granted), save, remove };
}

// The Date header has whole seconds: a boot storm answers thousands of REGISTERs with one text.
let dateSecond = -1;
let dateText = '';
function httpDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** The expiry CUCM granted to one contact in its 200 (contact param, else Expires header). */
export function grantedExpires(res: SipResponse, contactUri: string): number | undefined {
  const header = parseDeltaSeconds(getHeader(res, 'expires') ?? '');
  for (const value of getHeaders(res, 'contact')) {
    const set = parseContacts(value);
    if (!set.ok || set.value.wildcard) continue;
    for (const c of set.value.contacts) {
      if (sameUri(c.uri, contactUri)) return c.expires ?? (header.ok ? header.value : undefined);
    }
  }
  return header.ok ? header.value : undefined;
}

function sameUri(a: string, b: string): boolean {
  const strip = (u: string) => u.replace(/^sips?:/i, '').split(';')[0].toLowerCase();
  return strip(a) === strip(b);
}
