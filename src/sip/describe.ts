// The one-line JSON summary `outpost decode FILE.pcap --json` prints for a SIP message: the
// fields a technician compares when following a phone's registration through a capture.

import { type SipMessage, decodeSip, getHeader } from './message.js';
import { parseCSeq, parseContacts, parseDeltaSeconds, parseNameAddr } from './headers.js';
import { ciscoContactInfo } from './cisco.js';

export interface SipDescription {
  frame: number;
  protocol: 'sip';
  /** Request method. */
  method?: string;
  /** Response status code and reason phrase. */
  status?: number;
  reason?: string;
  /** `CSeq` as written, e.g. `12917 REGISTER` (names the method a response answers). */
  cseq?: string;
  callId?: string;
  /** URIs of From, To and the first Contact (`*` for a wildcard Contact). */
  from?: string;
  to?: string;
  contact?: string;
  /** Contact `expires` param, else the Expires header. */
  expires?: number;
  deviceName?: string;
  model?: string;
}

export interface SipDecodeFailure {
  frame: number;
  protocol: 'sip';
  error: string;
}

// A SIP start line: "SIP/2.0 200 ..." or "METHOD uri SIP/2.0". Only the first line is examined,
// so payloads of other protocols on port 5060 are not reported as broken SIP.
const STATUS_START = /^SIP\/[0-9]+\.[0-9]+ /;
const REQUEST_START = /^[A-Za-z]+ [^ \r\n]+ SIP\/[0-9]+\.[0-9]+\r?$/;

function looksLikeSip(payload: Buffer): boolean {
  let start = 0;
  while (start < payload.length && (payload[start] === 0x0d || payload[start] === 0x0a)) start++;
  const nl = payload.indexOf(0x0a, start);
  const firstLine = payload.subarray(start, nl < 0 ? Math.min(payload.length, start + 512) : nl).toString('latin1');
  return STATUS_START.test(firstLine) || REQUEST_START.test(firstLine);
}

function addressUri(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const a = parseNameAddr(value);
  return a.ok ? a.value.uri : undefined;
}

export function describeSipMessage(frame: number, msg: SipMessage): SipDescription {
  const d: SipDescription = { frame, protocol: 'sip' };
  if (msg.kind === 'request') d.method = msg.method;
  else { d.status = msg.status; d.reason = msg.reason; }
  const cseq = getHeader(msg, 'cseq');
  if (cseq !== undefined && parseCSeq(cseq).ok) d.cseq = cseq;
  const callId = getHeader(msg, 'call-id');
  if (callId !== undefined) d.callId = callId;
  const from = addressUri(getHeader(msg, 'from'));
  if (from !== undefined) d.from = from;
  const to = addressUri(getHeader(msg, 'to'));
  if (to !== undefined) d.to = to;

  let contactExpires: number | undefined;
  const contact = getHeader(msg, 'contact');
  if (contact !== undefined) {
    const set = parseContacts(contact);
    if (set.ok) {
      const v = set.value;
      if (v.wildcard) d.contact = '*';
      else { d.contact = v.contacts[0].uri; contactExpires = v.contacts[0].expires; }
    }
  }
  const header = getHeader(msg, 'expires');
  const headerExpires = header !== undefined ? parseDeltaSeconds(header) : undefined;
  const expires = contactExpires ?? (headerExpires?.ok ? headerExpires.value : undefined);
  if (expires !== undefined) d.expires = expires;

  const cisco = ciscoContactInfo(msg);
  if (cisco.deviceName !== undefined) d.deviceName = cisco.deviceName;
  if (cisco.model !== undefined) d.model = cisco.model;
  return d;
}

/**
 * Summary of one UDP/TCP payload, `{frame, protocol, error}` when it starts like SIP but does
 * not decode, undefined when it does not look like SIP at all.
 */
export function describeSipPayload(frameNumber: number, payload: Buffer): SipDescription | SipDecodeFailure | undefined {
  if (!looksLikeSip(payload)) return undefined;
  const msg = decodeSip(payload);
  if (!msg.ok) return { frame: frameNumber, protocol: 'sip', error: msg.error };
  return describeSipMessage(frameNumber, msg.value);
}
