// The SIP message codec (RFC 3261 §7). Outpost relays phone traffic to CUCM, so a message it
// did not modify must leave exactly as it arrived: headers stay an ordered list of lines, each
// remembering its original text, and only Content-Length is rewritten when the body changed.
// Pure: no I/O, and hostile input yields an error value, never an exception.

import { isUtf8 } from 'node:buffer';
import { type Result, ok, err } from '../util/result.js';
import { splitHeaderList } from './headers.js';

export interface SipHeader {
  /** Header name as received (`Call-ID`, `i`, `call-id` ...). */
  name: string;
  /** Value with line folding replaced by a space and outer whitespace trimmed. */
  value: string;
  /**
   * The header line exactly as received (without its final CRLF). The encoder writes it back
   * while `name` and `value` still match it, so unmodified headers keep their spacing.
   */
  raw?: string;
}

interface MessageCommon {
  /** `SIP/2.0`. */
  version: string;
  headers: SipHeader[];
  body: Buffer;
  /**
   * The bytes the message was decoded from, exactly as they arrived. Changed copies of the
   * message keep it, so it always means the original (what a phone sent, to replay later).
   */
  received?: Buffer;
}

export interface SipRequest extends MessageCommon {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends MessageCommon {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Start line and headers, before the body is known (what the stream framer needs first). */
export type SipHead =
  | { kind: 'request'; method: string; uri: string; version: string; headers: SipHeader[] }
  | { kind: 'response'; status: number; reason: string; version: string; headers: SipHeader[] };

// RFC 3261 §7.3.3 compact forms, plus those registered later (RFC 3265, 3515, 3841, 3892, 4028).
const COMPACT_FORMS: Record<string, string> = {
  i: 'call-id', m: 'contact', f: 'from', t: 'to', v: 'via', l: 'content-length', c: 'content-type',
  k: 'supported', s: 'subject', e: 'content-encoding', o: 'event', r: 'refer-to', u: 'allow-events',
  x: 'session-expires', a: 'accept-contact', j: 'reject-contact', d: 'request-disposition', b: 'referred-by',
};

// Headers whose grammar is a comma-separated list (`1#element`). Everything else (Date,
// WWW-Authenticate, Authorization, User-Agent, unknown extensions such as RTP-RxStat) keeps
// its commas: splitting them would corrupt the value.
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route', 'allow', 'supported', 'require',
  'proxy-require', 'unsupported', 'allow-events', 'accept', 'accept-encoding', 'accept-language',
  'content-encoding', 'content-language', 'warning', 'call-info', 'alert-info', 'error-info', 'in-reply-to',
  'reason', 'security-client', 'security-server', 'security-verify', 'accept-contact', 'reject-contact',
  'request-disposition', 'recv-info', 'send-info', 'p-associated-uri', 'p-asserted-identity',
  'p-preferred-identity', 'history-info', 'diversion', 'remote-party-id', 'accept-resource-priority',
  'resource-priority', 'permission-missing', 'trigger-consent', 'feature-caps',
]);

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_LINE = /^([A-Za-z0-9\-.!%*_+`'~]+) ([^ \t]+) (SIP\/[0-9]+\.[0-9]+)$/;
const STATUS_LINE = /^(SIP\/[0-9]+\.[0-9]+) ([1-6][0-9][0-9])(?: (.*))?$/;

// Header names repeat in every message: remember their canonical forms (bounded, so a peer
// inventing names cannot grow it without end).
const CANONICAL_CACHE = new Map<string, string>();
const CANONICAL_CACHE_MAX = 512;

/** Lower-case long form of a header name (`i` → `call-id`). */
export function canonicalHeaderName(name: string): string {
  const cached = CANONICAL_CACHE.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const canonical = Object.hasOwn(COMPACT_FORMS, lower) ? COMPACT_FORMS[lower] : lower;
  if (CANONICAL_CACHE.size < CANONICAL_CACHE_MAX) CANONICAL_CACHE.set(name, canonical);
  return canonical;
}

export const isListHeader = (name: string): boolean => LIST_HEADERS.has(canonicalHeaderName(name));

/**
 * Index just after the empty line that ends the header block, or -1 if it is not there yet.
 * Lines end in CRLF; a bare LF is accepted too, as lenient peers send it.
 */
export function findHeaderEnd(buf: Buffer, from = 0): number {
  let i = buf.indexOf(0x0a, from);
  while (i >= 0) {
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
    i = buf.indexOf(0x0a, i + 1);
  }
  return -1;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t';

/** Splits one (possibly folded) header line into name and value, or explains why not. */
function splitHeaderLine(raw: string): Result<{ name: string; value: string }> {
  const colon = raw.indexOf(':');
  if (colon < 0) return err(`header line without colon: "${raw.slice(0, 40)}"`);
  let nameEnd = colon;
  while (nameEnd > 0 && isBlank(raw[nameEnd - 1])) nameEnd--;
  const name = raw.slice(0, nameEnd);
  if (!TOKEN.test(name)) return err(`bad header name "${name.slice(0, 40)}"`);
  let value = raw.slice(colon + 1);
  if (value.includes('\n')) value = value.replace(/\r?\n[ \t]+/g, ' ');
  let a = 0;
  let b = value.length;
  while (a < b && isBlank(value[a])) a++;
  while (b > a && isBlank(value[b - 1])) b--;
  return ok({ name, value: a === 0 && b === value.length ? value : value.slice(a, b) });
}

const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;

/**
 * One header from the text [start, end) of its physical lines. The slice is the header as
 * received, folds included; it is kept as `raw` only when every fold ended in CRLF, because
 * a bare-LF fold cannot be written back as received.
 */
function headerAt(text: string, start: number, end: number, bareLfFold: boolean): Result<SipHeader> {
  const raw = text.slice(start, end);
  const parsed = splitHeaderLine(raw);
  if (!parsed.ok) return parsed;
  return ok(bareLfFold ? parsed.value : { name: parsed.value.name, value: parsed.value.value, raw });
}

/** Parses the start line and headers of a header block (the bytes up to the empty line). */
export function decodeHead(block: Buffer): Result<SipHead> {
  return decodeHeadAt(block, 0, block.length);
}

/** decodeHead of buf[start, end), without cutting a view of it first. */
function decodeHeadAt(buf: Buffer, start: number, end: number): Result<SipHead> {
  if (!isUtf8(start === 0 && end === buf.length ? buf : buf.subarray(start, end))) return err('header block is not valid UTF-8');
  const text = buf.toString('utf8', start, end);
  // One pass over the physical lines. A header runs from its first line to the line before
  // the next one that does not start with whitespace (folding, RFC 3261 §7.3.1).
  let startLine: string | undefined;
  const headers: SipHeader[] = [];
  let headerStart = -1;
  let headerEnd = -1;
  let bareLfFold = false;
  let blankAt = -1;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    const crlf = end > pos && text.charCodeAt(end - 1) === CR;
    const lineEnd = crlf ? end - 1 : end;
    if (lineEnd === pos) {
      // An empty line: only the block's final line ends may be empty.
      if (blankAt < 0) blankAt = pos;
    } else {
      if (blankAt >= 0) return err(startLine === undefined ? 'not a SIP request or status line: ""' : 'empty line inside the header block');
      const first = text.charCodeAt(pos);
      if (startLine === undefined) {
        startLine = text.slice(pos, lineEnd);
      } else if (first === SP || first === HTAB) {
        if (headerStart < 0) return err('continuation line before the first header');
        if (text.charCodeAt(headerEnd) !== CR) bareLfFold = true;
        headerEnd = lineEnd;
      } else {
        if (headerStart >= 0) {
          const header = headerAt(text, headerStart, headerEnd, bareLfFold);
          if (!header.ok) return header;
          headers.push(header.value);
        }
        headerStart = pos;
        headerEnd = lineEnd;
        bareLfFold = false;
      }
    }
    pos = end + 1;
  }
  if (startLine === undefined) return err('empty message');
  if (headerStart >= 0) {
    const header = headerAt(text, headerStart, headerEnd, bareLfFold);
    if (!header.ok) return header;
    headers.push(header.value);
  }

  const status = STATUS_LINE.exec(startLine);
  if (status) {
    return ok({ kind: 'response', version: status[1], status: Number(status[2]), reason: status[3] ?? '', headers });
  }
  const request = REQUEST_LINE.exec(startLine);
  if (request) return ok({ kind: 'request', method: request[1], uri: request[2], version: request[3], headers });
  return err(`not a SIP request or status line: "${startLine.slice(0, 60)}"`);
}

/**
 * The Content-Length the headers declare, undefined when absent. Several Content-Length
 * headers that disagree are refused: relaying them would let a peer smuggle a message.
 */
export function declaredContentLength(headers: readonly SipHeader[]): Result<number | undefined> {
  let found: number | undefined;
  for (const h of headers) {
    if (canonicalHeaderName(h.name) !== 'content-length') continue;
    if (!/^[0-9]{1,15}$/.test(h.value)) return err(`bad Content-Length "${h.value.slice(0, 20)}"`);
    const n = Number(h.value);
    if (found !== undefined && found !== n) return err('conflicting Content-Length headers');
    found = n;
  }
  return ok(found);
}

// Most SIP messages (REGISTER, ACK, BYE, responses) carry no body: they share this one.
const EMPTY_BODY = Buffer.alloc(0);

/** Index of the first byte that is not a CR or LF (stray line ends before a start line are ignored). */
function skipLeadingLineEnds(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

/**
 * Decodes one SIP message from a datagram. The body is exactly Content-Length bytes; without
 * Content-Length it is the rest of the datagram; bytes beyond Content-Length are discarded
 * (RFC 3261 §18.3).
 */
export function decodeSip(buf: Buffer): Result<SipMessage> {
  const start = skipLeadingLineEnds(buf);
  if (start === buf.length) return err('no SIP message (only line ends)');
  const headerEnd = findHeaderEnd(buf, start);
  if (headerEnd < 0) return err('header block not terminated by an empty line');
  const head = decodeHeadAt(buf, start, headerEnd);
  if (!head.ok) return head;
  const declared = declaredContentLength(head.value.headers);
  if (!declared.ok) return declared;
  const available = buf.length - headerEnd;
  const length = declared.value ?? available;
  if (length > available) return err(`body shorter than Content-Length (${available} < ${length})`);
  const end = headerEnd + length;
  const body = length === 0 ? EMPTY_BODY : Buffer.from(buf.subarray(headerEnd, end));
  const received = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  const h = head.value;
  return ok(h.kind === 'request'
    ? { kind: 'request', method: h.method, uri: h.uri, version: h.version, headers: h.headers, body, received }
    : { kind: 'response', status: h.status, reason: h.reason, version: h.version, headers: h.headers, body, received });
}

function headerLine(h: SipHeader): string {
  if (h.raw !== undefined) {
    // The common case, checked without re-parsing: the raw line is `name`, blanks, `:`,
    // blanks and `value` (a fold or any other difference takes the full check below).
    const { raw, name, value } = h;
    if (raw.startsWith(name) && raw.endsWith(value)) {
      let i = name.length;
      const stop = raw.length - value.length;
      while (i < stop && (raw.charCodeAt(i) === SP || raw.charCodeAt(i) === HTAB)) i++;
      if (i < stop && raw.charCodeAt(i) === 0x3a) {
        i++;
        while (i < stop && (raw.charCodeAt(i) === SP || raw.charCodeAt(i) === HTAB)) i++;
        if (i === stop) return raw;
      }
    }
    const again = splitHeaderLine(h.raw);
    if (again.ok && again.value.name === h.name && again.value.value === h.value) return h.raw;
  }
  return `${h.name}: ${h.value}`;
}

/** Encodes a message; Content-Length always states the body's real length. */
export function encodeSip(msg: SipMessage): Buffer {
  const startLine = msg.kind === 'request'
    ? `${msg.method} ${msg.uri} ${msg.version}`
    : `${msg.version} ${msg.status} ${msg.reason}`;
  const lines = [startLine];
  const length = msg.body.length;
  let wroteLength = false;
  for (const h of msg.headers) {
    if (canonicalHeaderName(h.name) === 'content-length') {
      if (wroteLength) continue;
      wroteLength = true;
      const same = /^[0-9]{1,15}$/.test(h.value) && Number(h.value) === length;
      lines.push(same ? headerLine(h) : `${h.name}: ${length}`);
      continue;
    }
    lines.push(headerLine(h));
  }
  if (!wroteLength) lines.push(`Content-Length: ${length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8');
  return length === 0 ? head : Buffer.concat([head, msg.body]);
}

function matches(h: SipHeader, canonical: string): boolean {
  // A header name is ASCII: its canonical form has its length, or it is a one-letter compact
  // form. Most names of a message are ruled out by length alone, without a lookup.
  const n = h.name.length;
  if (n !== canonical.length && n !== 1) return false;
  return canonicalHeaderName(h.name) === canonical;
}

/**
 * First value of a header (name case-insensitive, compact forms resolved). For list headers
 * such as Via or Contact this is the first element, i.e. the top Via.
 */
export function getHeader(msg: { headers: readonly SipHeader[] }, name: string): string | undefined {
  const canonical = canonicalHeaderName(name);
  const h = msg.headers.find((x) => matches(x, canonical));
  if (!h) return undefined;
  return LIST_HEADERS.has(canonical) ? (splitHeaderList(h.value)[0] ?? '') : h.value;
}

/** All values of a header, in order; list headers are split into their elements. */
export function getHeaders(msg: { headers: readonly SipHeader[] }, name: string): string[] {
  const canonical = canonicalHeaderName(name);
  const split = LIST_HEADERS.has(canonical);
  const out: string[] = [];
  for (const h of msg.headers) {
    if (!matches(h, canonical)) continue;
    if (split) out.push(...splitHeaderList(h.value));
    else out.push(h.value);
  }
  return out;
}

/** A copy of the message with the header set to one value: first occurrence replaced, others removed. */
export function setHeader<M extends SipMessage>(msg: M, name: string, value: string): M {
  const canonical = canonicalHeaderName(name);
  const headers: SipHeader[] = [];
  let replaced = false;
  for (const h of msg.headers) {
    if (!matches(h, canonical)) headers.push(h);
    else if (!replaced) { headers.push({ name, value }); replaced = true; }
  }
  if (!replaced) headers.push({ name, value });
  return { ...msg, headers };
}

/**
 * A copy of the message with one more header line. `first` puts it before the existing lines of
 * that name (a proxy's own Via or Record-Route goes on top), `last` after them; with no such
 * lines yet it goes to the top or the end of the header list.
 */
export function addHeader<M extends SipMessage>(msg: M, name: string, value: string, position: 'first' | 'last' = 'last'): M {
  const canonical = canonicalHeaderName(name);
  const headers = [...msg.headers];
  const added = { name, value };
  if (position === 'first') {
    const at = headers.findIndex((h) => matches(h, canonical));
    headers.splice(at < 0 ? 0 : at, 0, added);
  } else {
    let at = -1;
    headers.forEach((h, i) => { if (matches(h, canonical)) at = i; });
    headers.splice(at < 0 ? headers.length : at + 1, 0, added);
  }
  return { ...msg, headers };
}

/** A copy of the message without any line of that header. */
export function removeHeader<M extends SipMessage>(msg: M, name: string): M {
  const canonical = canonicalHeaderName(name);
  return { ...msg, headers: msg.headers.filter((h) => !matches(h, canonical)) };
}
