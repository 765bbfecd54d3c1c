// Parsers for the structured SIP header values Outpost reads: parameter lists, name-addr,
// SIP URIs, Via, Contact, CSeq and delta-seconds (RFC 3261 §20, §25.1). Pure and
// Result-returning: a phone or peer on the LAN may send anything, and the proxy must be able
// to refuse a value without throwing. Parameters keep the text they arrived with so that
// formatting a parsed value reproduces it exactly.

import { type Result, ok, err } from '../util/result.js';

/** One `;name[=value]` parameter. `value` is unquoted; `raw` is the text after `=` as received. */
export interface SipParam {
  name: string;
  value?: string;
  raw?: string;
}

export interface NameAddr {
  /** Display name without quotes or escapes; undefined when none was given. */
  displayName?: string;
  /** The display name was a quoted-string; formatting quotes it again. */
  displayNameQuoted?: boolean;
  /** The URI text between `<` and `>` (or the bare addr-spec). */
  uri: string;
  /** Whether the URI was written inside `<...>`; formatting keeps the same form. */
  bracketed: boolean;
  /** Header parameters after the URI (tag, expires, +sip.instance, ...). */
  params: SipParam[];
}

export interface SipUri {
  /** `sip` or `sips`, as written. */
  scheme: string;
  /** User part still percent-escaped as on the wire; undefined when the URI has no `@`. */
  user?: string;
  password?: string;
  /** Hostname, IPv4 address or bracketed IPv6 reference (`[2001:db8::1]`). */
  host: string;
  port?: number;
  params: SipParam[];
  headers: { name: string; value: string }[];
}

export interface Via {
  /** `SIP/2.0/UDP`, with any whitespace around the slashes removed. */
  protocol: string;
  transport: string;
  host: string;
  port?: number;
  params: SipParam[];
}

export interface Contact extends NameAddr {
  /** `expires` parameter in seconds, when present and numeric. */
  expires?: number;
  /** `q` parameter (0..1), when present and numeric. */
  q?: number;
}

/** A Contact header value is either `*` (remove all bindings) or a list of addresses. */
export type ContactSet =
  | { wildcard: true; params: SipParam[] }
  | { wildcard: false; contacts: Contact[] };

export interface CSeq {
  seq: number;
  method: string;
}

// RFC 3261 token characters: what an unquoted parameter name, method or value may hold.
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
/** SP, HTAB, CR or LF (a character test in the per-character loops of every parser here). */
const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
/** isWs by character code: the parameter and list scanners run it on every character of every REGISTER. */
const isWsCode = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const QUOTE = 0x22;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const MAX_DELTA_SECONDS = 0xffffffff;

export const isToken = (s: string): boolean => TOKEN.test(s);

/** Removes the surrounding quotes and backslash escapes of a quoted-string. */
export function unquote(s: string): string {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return s;
  const inner = s.slice(1, -1);
  return inner.includes('\\') ? inner.replace(/\\(.)/gs, '$1') : inner;
}

/** Writes a value as a quoted-string, escaping the two characters that need it. */
export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Index just after the quoted-string starting at `start` (which holds `"`), or -1 when unterminated. */
function skipQuoted(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * Splits a comma-separated header value into its elements. Commas inside quoted strings
 * and inside `<...>` are part of an element, not separators. Empty elements are dropped.
 */
export function splitHeaderList(value: string): string[] {
  // Most values hold one element: no comma, nothing to split.
  if (!value.includes(',')) {
    const one = value.trim();
    return one.length > 0 ? [one] : [];
  }
  const parts: string[] = [];
  const push = (part: string) => { const t = part.trim(); if (t.length > 0) parts.push(t); };
  let start = 0;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipQuoted(value, i);
      if (end < 0) break; // unterminated quote: the rest is one element
      i = end - 1;
    } else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      push(value.slice(start, i));
      start = i + 1;
    }
  }
  push(value.slice(start));
  return parts;
}

/** First parameter with this name (names compare case-insensitively). */
export function getParam(params: readonly SipParam[], name: string): SipParam | undefined {
  const lower = name.toLowerCase();
  for (const p of params) if (p.name.length === lower.length && p.name.toLowerCase() === lower) return p;
  return undefined;
}

/** A parameter ready to format: quoted when the value is not a token. */
export function makeParam(name: string, value?: string): SipParam {
  if (value === undefined) return { name };
  return { name, value, raw: isToken(value) ? value : quote(value) };
}

/**
 * Parses `;a=b;c;d="x;y"` starting at `start`. With `leadingSemicolon` false the first
 * parameter has no `;` before it (URI parameters are read after the host). Whitespace around
 * `;` and `=` is tolerated because CUCM writes `Call-Info: <...>; security= Unknown`.
 * Returns the parameters and the index where parsing stopped (a character that is not part of
 * a parameter list, e.g. `,` `?` `>`), so callers decide whether trailing text is an error.
 */
export function parseParamsAt(s: string, start: number, stopChars = ',?>'): { params: SipParam[]; end: number } {
  const params: SipParam[] = [];
  const n = s.length;
  // Callers pass at most three stop characters; charCodeAt past the end is NaN and never matches.
  const s0 = stopChars.charCodeAt(0);
  const s1 = stopChars.charCodeAt(1);
  const s2 = stopChars.charCodeAt(2);
  const isStop = (c: number) => c === s0 || c === s1 || c === s2 || (stopChars.length > 3 && stopChars.includes(String.fromCharCode(c)));
  let i = start;
  while (true) {
    const before = i;
    while (i < n && isWsCode(s.charCodeAt(i))) i++;
    if (i >= n || s.charCodeAt(i) !== SEMI) {
      i = before;
      while (i < n && isWsCode(s.charCodeAt(i))) i++;
      break;
    }
    i++;
    while (i < n && isWsCode(s.charCodeAt(i))) i++;
    const nameStart = i;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (isWsCode(c) || c === EQUALS || c === SEMI || c === QUOTE || isStop(c)) break;
    }
    const name = s.slice(nameStart, i);
    if (name.length === 0) return { params, end: nameStart };
    const afterName = i;
    while (i < n && isWsCode(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== EQUALS) { i = afterName; params.push({ name }); continue; }
    i++;
    while (i < n && isWsCode(s.charCodeAt(i))) i++;
    let raw: string;
    if (s.charCodeAt(i) === QUOTE) {
      const end = skipQuoted(s, i);
      if (end < 0) return { params, end: i };
      raw = s.slice(i, end);
      i = end;
    } else {
      const vStart = i;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (isWsCode(c) || c === SEMI || isStop(c)) break;
      }
      raw = s.slice(vStart, i);
    }
    params.push({ name, value: unquote(raw), raw });
  }
  return { params, end: i };
}

/** Parses a whole `;param` list (e.g. the tail of a Reason or Session-ID value). */
export function parseParams(s: string): Result<SipParam[]> {
  const text = s.trimStart().startsWith(';') ? s : `;${s.trimStart()}`;
  if (text.trim() === ';') return ok([]);
  const { params, end } = parseParamsAt(text, 0, '');
  if (end !== text.length) return err(`unexpected text in parameter list at offset ${end}`);
  return ok(params);
}

export function formatParams(params: readonly SipParam[]): string {
  return params.map(formatParam).join('');
}

function formatParam(p: SipParam): string {
  if (p.value === undefined) return `;${p.name}`;
  // Keep the original spelling (quotes, escapes) unless the value was changed since.
  const raw = p.raw !== undefined && unquote(p.raw) === p.value ? p.raw : makeParam(p.name, p.value).raw;
  return `;${p.name}=${raw}`;
}

/**
 * Parses a From/To/Contact/Route style value: `"Alice" <sip:...>;tag=x`, `Alice <sip:...>`,
 * `<sip:...>` or a bare `sip:...;tag=x` (whose parameters belong to the header, not the URI).
 */
export function parseNameAddr(value: string): Result<NameAddr> {
  const s = value.trim();
  if (s.length === 0) return err('empty address');
  let i = 0;
  let displayName: string | undefined;
  if (s[0] === '"') {
    const end = skipQuoted(s, 0);
    if (end < 0) return err('unterminated quoted display name');
    displayName = unquote(s.slice(0, end));
    i = end;
    while (i < s.length && isWs(s[i])) i++;
    if (s[i] !== '<') return err('display name not followed by <uri>');
  } else {
    const lt = s.indexOf('<');
    const colon = s.indexOf(':');
    if (lt >= 0 && (colon < 0 || lt < colon)) {
      const name = s.slice(0, lt).trim();
      if (name.length > 0) {
        if (!name.split(/[ \t]+/).every(isToken)) return err('display name is not a token list');
        displayName = name;
      }
      i = lt;
    }
  }
  if (s[i] === '<') {
    const close = s.indexOf('>', i + 1);
    if (close < 0) return err('missing > after URI');
    const uri = s.slice(i + 1, close).trim();
    if (uri.length === 0) return err('empty URI in <>');
    const { params, end } = parseParamsAt(s, close + 1, ',');
    if (end !== s.length) return err(`unexpected text after address at offset ${end}`);
    const display = displayName === undefined ? {} : { displayName, ...(s[0] === '"' ? { displayNameQuoted: true } : {}) };
    return ok({ ...display, uri, bracketed: true, params });
  }
  // addr-spec: the URI runs to the first `;` or whitespace.
  let j = 0;
  while (j < s.length && s[j] !== ';' && !isWs(s[j])) j++;
  const uri = s.slice(0, j);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return err('address is neither <uri> nor scheme:...');
  const { params, end } = parseParamsAt(s, j, ',');
  if (end !== s.length) return err(`unexpected text after address at offset ${end}`);
  return ok({ uri, bracketed: false, params });
}

export function formatNameAddr(a: NameAddr): string {
  let out = '';
  if (a.displayName !== undefined) {
    const words = a.displayName.split(' ');
    const bare = !a.displayNameQuoted && a.displayName.length > 0 && words.every(isToken);
    out += (bare ? a.displayName : quote(a.displayName)) + ' ';
  }
  // A bare URI may not carry a display name; bracket it then so the result still parses.
  const bracket = a.bracketed || a.displayName !== undefined;
  out += bracket ? `<${a.uri}>` : a.uri;
  return out + formatParams(a.params);
}

/** Parses a port number strictly: digits only, 0..65535. */
function parsePort(s: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

const HOSTNAME = /^[A-Za-z0-9_.-]+$/;
const IPV6_REF = /^\[[0-9A-Fa-f:.]+\]$/;

/** Parses `host[:port]`, host being a name, IPv4 address or `[IPv6]`. */
function parseHostPort(s: string): Result<{ host: string; port?: number }> {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return err('unterminated IPv6 reference');
    host = s.slice(0, close + 1);
    rest = s.slice(close + 1);
    if (!IPV6_REF.test(host)) return err('bad IPv6 reference');
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
    if (!HOSTNAME.test(host)) return err(`bad host "${host.slice(0, 64)}"`);
  }
  if (rest === '') return ok({ host });
  if (rest[0] !== ':') return err('unexpected text after host');
  const port = parsePort(rest.slice(1));
  if (port === undefined) return err(`bad port "${rest.slice(1, 20)}"`);
  return ok({ host, port });
}

/** Parses a `sip:` or `sips:` URI (RFC 3261 §19.1). Other schemes are an error. */
export function parseSipUri(text: string): Result<SipUri> {
  const s = text.trim();
  const m = /^(sips?):/i.exec(s);
  if (!m) return err('not a sip: or sips: URI');
  const scheme = m[1];
  let rest = s.slice(m[0].length);
  let user: string | undefined;
  let password: string | undefined;
  // The user part may contain `;` and `/` but never a raw `@`: the last `@` before the
  // URI headers (`?...`, where sloppy peers do put raw `@`) ends it.
  const q = rest.indexOf('?');
  const at = rest.lastIndexOf('@', q < 0 ? rest.length : q);
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) password = userinfo.slice(colon + 1);
    if (user.length === 0) return err('empty user part before @');
    if (/[\s<>"]/.test(userinfo)) return err('bad character in user part');
  }
  let hpEnd = 0;
  if (rest.startsWith('[')) hpEnd = Math.max(rest.indexOf(']'), 0);
  while (hpEnd < rest.length && rest[hpEnd] !== ';' && rest[hpEnd] !== '?') hpEnd++;
  const hp = parseHostPort(rest.slice(0, hpEnd));
  if (!hp.ok) return hp;
  const { params, end } = parseParamsAt(rest, hpEnd, '?');
  if (params.some((p) => p.raw !== undefined && p.raw.startsWith('"'))) return err('quoted value in URI parameter');
  const headers: { name: string; value: string }[] = [];
  if (end < rest.length) {
    if (rest[end] !== '?') return err(`unexpected text in URI at "${rest.slice(end, end + 20)}"`);
    for (const pair of rest.slice(end + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return err('URI header without name=value');
      headers.push({ name: pair.slice(0, eq), value: pair.slice(eq + 1) });
    }
  }
  if (/\s/.test(rest)) return err('whitespace inside URI');
  return ok({
    scheme,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    host: hp.value.host,
    ...(hp.value.port !== undefined ? { port: hp.value.port } : {}),
    params,
    headers,
  });
}

export function formatSipUri(u: SipUri): string {
  let out = `${u.scheme}:`;
  if (u.user !== undefined) out += u.user + (u.password !== undefined ? `:${u.password}` : '') + '@';
  out += u.host + (u.port !== undefined ? `:${u.port}` : '');
  out += formatParams(u.params);
  if (u.headers.length > 0) out += '?' + u.headers.map((h) => `${h.name}=${h.value}`).join('&');
  return out;
}

/** Parses one Via element: `SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK...;rport`. */
export function parseVia(value: string): Result<Via> {
  const s = value.trim();
  const m = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t\r\n]+/.exec(s);
  if (!m) return err('Via does not start with protocol/version/transport');
  let i = m[0].length;
  const hpStart = i;
  if (s[i] === '[') i = Math.max(s.indexOf(']', i), i);
  while (i < s.length && s[i] !== ';' && !isWs(s[i]) && s[i] !== '(') i++;
  const hp = parseHostPort(s.slice(hpStart, i));
  if (!hp.ok) return err(`Via sent-by: ${hp.error}`);
  const { params, end } = parseParamsAt(s, i, ',(');
  // A trailing (comment) is allowed by the grammar and ignored.
  if (end !== s.length && s[end] !== '(') return err(`unexpected text in Via at offset ${end}`);
  return ok({
    protocol: `${m[1]}/${m[2]}/${m[3]}`,
    transport: m[3],
    host: hp.value.host,
    ...(hp.value.port !== undefined ? { port: hp.value.port } : {}),
    params,
  });
}

export function formatVia(v: Via): string {
  return `${v.protocol} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

/**
 * Parses delta-seconds (Expires, Min-Expires, expires=). Values beyond 2^32-1 are clamped
 * there, as RFC 3261 asks, instead of overflowing.
 */
export function parseDeltaSeconds(s: string): Result<number> {
  const t = s.trim();
  if (!/^[0-9]+$/.test(t)) return err(`not a delta-seconds value: "${t.slice(0, 20)}"`);
  const digits = t.replace(/^0+(?=.)/, '');
  if (digits.length > 10) return ok(MAX_DELTA_SECONDS);
  return ok(Math.min(Number(digits), MAX_DELTA_SECONDS));
}

/** Parses a Contact header value (one line, possibly several comma-separated addresses). */
export function parseContacts(value: string): Result<ContactSet> {
  const trimmed = value.trim();
  if (trimmed.startsWith('*')) {
    const { params, end } = parseParamsAt(trimmed, 1, ',');
    if (end !== trimmed.length) return err('Contact * must stand alone');
    return ok({ wildcard: true, params });
  }
  const contacts: Contact[] = [];
  for (const part of splitHeaderList(trimmed)) {
    const a = parseNameAddr(part);
    if (!a.ok) return err(`Contact: ${a.error}`);
    const c: Contact = a.value;
    const exp = getParam(c.params, 'expires');
    if (exp?.value !== undefined) {
      const d = parseDeltaSeconds(exp.value);
      if (d.ok) c.expires = d.value;
    }
    const q = getParam(c.params, 'q');
    if (q?.value !== undefined && /^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(q.value)) c.q = Number(q.value);
    contacts.push(c);
  }
  if (contacts.length === 0) return err('empty Contact');
  return ok({ wildcard: false, contacts });
}

/** Every address of a message's Contact lines, in order; `wildcard` when one of them is `*`. */
export function parseContactHeaders(values: readonly string[]): Result<{ wildcard: boolean; contacts: Contact[] }> {
  const all = { wildcard: false, contacts: [] as Contact[] };
  for (const value of values) {
    const set = parseContacts(value);
    if (!set.ok) return set;
    if (set.value.wildcard) all.wildcard = true;
    else all.contacts.push(...set.value.contacts);
  }
  return ok(all);
}

/** Parses `CSeq: 101 INVITE`. The number must be below 2^31 (RFC 3261 §8.1.1.5). */
export function parseCSeq(value: string): Result<CSeq> {
  const m = /^[ \t]*([0-9]{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*$/.exec(value);
  if (!m) return err('CSeq is not "<number> <method>"');
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) return err('CSeq number out of range');
  return ok({ seq, method: m[2] });
}

/** User part of the URI inside a name-addr value (From/To), or undefined. */
export function addressUser(value: string): string | undefined {
  const a = parseNameAddr(value);
  if (!a.ok) return undefined;
  const u = parseSipUri(a.value.uri);
  return u.ok ? u.value.user : undefined;
}
