// What Cisco IP phones put into their SIP messages beyond RFC 3261, and what Outpost needs
// from it: the device name (the key of the phone inventory), the model, the directory number,
// the keep-alive REGISTERs sent to a backup registrar, and the `cisco-alarm` Reason header in
// which a phone reports why it last lost its registration (shown on the phone's journey).

import { type Result, ok, err } from '../util/result.js';
import { type SipMessage, canonicalHeaderName, getHeaders } from './message.js';
import { type Contact, type SipParam, addressUser, getParam, parseContactHeaders, parseContacts, parseDeltaSeconds, parseParams, splitHeaderList } from './headers.js';

export const DEVICE_NAME_PARAM = '+u.sip!devicename.ccm.cisco.com';
export const MODEL_PARAM = '+u.sip!model.ccm.cisco.com';
export const INSTANCE_PARAM = '+sip.instance';
export const KEEP_ALIVE_PARAM = 'cisco-keep-alive';

/** Identity a Cisco phone advertises in its Contact header. */
export interface CiscoContactInfo {
  /** `SEP` + MAC as the phone names itself (devicename param, else derived from the instance). */
  deviceName?: string;
  /** MAC address, 12 upper-case hex digits. */
  mac?: string;
  /** CUCM model code, e.g. `36217` for a CP-8811. */
  model?: string;
  /** `+sip.instance` value without quotes, e.g. `<urn:uuid:00000000-0000-0000-0000-f87b204eeede>`. */
  instance?: string;
}

/** Why a phone says it re-registered: `Reason: SIP;cause=200;text="cisco-alarm:..."`. */
export interface CiscoAlarm {
  /** Alarm number after `cisco-alarm:`. */
  alarm: number;
  deviceName?: string;
  /** `ActiveLoad=` (newer firmware) or `Load=` (older firmware). */
  activeLoad?: string;
  inactiveLoad?: string;
  /** `Last=`: the cause of the last unregistration, e.g. `cm-closed-tcp`. */
  lastReason?: string;
  /** Every `Key=value` field as sent. */
  fields: Record<string, string>;
}

export interface CiscoRegistration extends CiscoContactInfo {
  /** Directory number: user part of the To (address of record), else of From. */
  dn?: string;
  contactUri?: string;
  /** Binding lifetime asked for: the Contact `expires` param, else the Expires header. */
  expires?: number;
  /**
   * A keep-alive to a backup registrar (Contact param `cisco-keep-alive`, sent with Expires 0).
   * It must be answered 200 without removing the binding, unlike a real Expires 0 unregister.
   */
  keepAlive: boolean;
  /** From `User-Agent: Cisco-CP8811/12.1.1`. */
  modelName?: string;
  firmware?: string;
  alarm?: CiscoAlarm;
  /** Every Contact of the REGISTER, parsed once for the registrar too. */
  contacts: Contact[];
  /** `Contact: *` (remove all bindings of the address of record). */
  wildcard: boolean;
}

const INSTANCE_MAC = /^<?urn:uuid:00000000-0000-0000-0000-([0-9a-f]{12})>?$/i;
const SEP_NAME = /^SEP([0-9a-f]{12})$/i;
const CISCO_USER_AGENT = /^Cisco-([A-Za-z0-9-]+)\/(\S+)/;

/** The MAC a Cisco phone encodes in its `+sip.instance` UUID, upper case, or undefined. */
export function macFromInstance(instance: string): string | undefined {
  const m = INSTANCE_MAC.exec(instance.trim());
  return m ? m[1].toUpperCase() : undefined;
}

function contactInfoFromParams(params: readonly SipParam[]): CiscoContactInfo {
  const info: CiscoContactInfo = {};
  const instance = getParam(params, INSTANCE_PARAM)?.value;
  const named = getParam(params, DEVICE_NAME_PARAM)?.value?.trim();
  const model = getParam(params, MODEL_PARAM)?.value?.trim();
  const instanceMac = instance !== undefined ? macFromInstance(instance) : undefined;
  if (instance !== undefined) info.instance = instance;
  if (named) info.deviceName = named;
  else if (instanceMac) info.deviceName = `SEP${instanceMac}`;
  const nameMac = named ? SEP_NAME.exec(named)?.[1].toUpperCase() : undefined;
  const mac = nameMac ?? instanceMac;
  if (mac) info.mac = mac;
  if (model) info.model = model;
  return info;
}

/** Device name, MAC and model from the first Contact that carries any of them. */
export function ciscoContactInfo(msg: SipMessage): CiscoContactInfo {
  for (const value of getHeaders(msg, 'contact')) {
    const set = parseContacts(value);
    if (!set.ok || set.value.wildcard) continue;
    for (const c of set.value.contacts) {
      const info = contactInfoFromParams(c.params);
      if (info.deviceName !== undefined || info.model !== undefined) return info;
    }
  }
  return {};
}

/** `\s` of a regular expression, by character code. */
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c > 0x7f && /\s/.test(String.fromCharCode(c)));
const isAsciiLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isKeyChar = (c: number): boolean => isAsciiLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d;

/** Whether `Key=` (a letter, then letters, digits, `_.-`) starts at i. */
function keyAt(t: string, i: number): boolean {
  if (!isAsciiLetter(t.charCodeAt(i))) return false;
  let j = i + 1;
  while (j < t.length && isKeyChar(t.charCodeAt(j))) j++;
  return t.charCodeAt(j) === 0x3d;
}

/**
 * Splits `25 Name=SEP... Last=cm-closed-tcp` into fields; a value may contain spaces, so a
 * field ends only at whitespace followed by the next `Key=`. The first of repeated keys wins.
 */
function alarmFields(text: string): { alarm: string; fields: Record<string, string> } {
  const t = text.trim();
  // [start of the whitespace before a key, start of the key] for every field.
  const cuts: [number, number][] = [];
  for (let i = 0; i < t.length;) {
    if (!isSpace(t.charCodeAt(i))) { i++; continue; }
    let j = i + 1;
    while (j < t.length && isSpace(t.charCodeAt(j))) j++;
    if (keyAt(t, j)) cuts.push([i, j]);
    i = j;
  }
  const fields: Record<string, string> = {};
  for (let k = 0; k < cuts.length; k++) {
    const part = t.slice(cuts[k][1], k + 1 < cuts.length ? cuts[k + 1][0] : t.length);
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (!Object.hasOwn(fields, key)) fields[key] = part.slice(eq + 1).trim();
  }
  return { alarm: cuts.length > 0 ? t.slice(0, cuts[0][0]) : t, fields };
}

/** Parses one Reason value carrying a Cisco alarm; an error for any other Reason. */
export function parseCiscoAlarm(reason: string): Result<CiscoAlarm> {
  const m = /^[ \t]*([A-Za-z0-9.-]+)[ \t]*(;.*)?$/s.exec(reason);
  if (!m) return err('Reason is not "<protocol>;params"');
  const params = parseParams(m[2] ?? '');
  if (!params.ok) return err(`Reason: ${params.error}`);
  const text = getParam(params.value, 'text')?.value;
  if (text === undefined || !/^cisco-alarm:/i.test(text)) return err('Reason text is not a cisco-alarm');
  const { alarm, fields } = alarmFields(text.slice('cisco-alarm:'.length));
  if (!/^[0-9]{1,9}$/.test(alarm)) return err(`cisco-alarm number "${alarm.slice(0, 20)}" is not numeric`);
  // Keys compare case-insensitively; the first spelling of a key wins.
  const byLowerKey = new Map<string, string>();
  for (const key of Object.keys(fields)) {
    const lower = key.toLowerCase();
    if (!byLowerKey.has(lower)) byLowerKey.set(lower, fields[key]);
  }
  const out: CiscoAlarm = { alarm: Number(alarm), fields };
  const deviceName = byLowerKey.get('name');
  const activeLoad = byLowerKey.get('activeload') ?? byLowerKey.get('load');
  const inactiveLoad = byLowerKey.get('inactiveload');
  const lastReason = byLowerKey.get('last');
  if (deviceName !== undefined) out.deviceName = deviceName;
  if (activeLoad !== undefined) out.activeLoad = activeLoad;
  if (inactiveLoad !== undefined) out.inactiveLoad = inactiveLoad;
  if (lastReason !== undefined) out.lastReason = lastReason;
  return ok(out);
}

/** The first cisco-alarm among the message's Reason headers. */
export function ciscoAlarm(msg: SipMessage): CiscoAlarm | undefined {
  for (const value of getHeaders(msg, 'reason')) {
    const a = parseCiscoAlarm(value);
    if (a.ok) return a.value;
  }
  return undefined;
}

/** Everything Outpost records about a phone from its REGISTER. */
export function ciscoRegistration(msg: SipMessage): Result<CiscoRegistration> {
  if (msg.kind !== 'request' || msg.method.toUpperCase() !== 'REGISTER') return err('not a REGISTER request');
  // One walk over the headers (this runs for every REGISTER of a boot storm).
  let to: string | undefined;
  let from: string | undefined;
  let expiresHeader: string | undefined;
  let userAgent: string | undefined;
  const contactValues: string[] = [];
  const reasons: string[] = [];
  for (const h of msg.headers) {
    switch (canonicalHeaderName(h.name)) {
      case 'to': to ??= h.value; break;
      case 'from': from ??= h.value; break;
      case 'expires': expiresHeader ??= h.value; break;
      case 'user-agent': userAgent ??= h.value; break;
      case 'contact': contactValues.push(...splitHeaderList(h.value)); break;
      case 'reason': reasons.push(...splitHeaderList(h.value)); break;
    }
  }

  const reg: CiscoRegistration = { keepAlive: false, contacts: [], wildcard: false };
  const dn = (to !== undefined ? addressUser(to) : undefined) ?? (from !== undefined ? addressUser(from) : undefined);
  if (dn !== undefined) reg.dn = dn;

  const contacts = parseContactHeaders(contactValues);
  if (!contacts.ok) return err(contacts.error);
  reg.contacts = contacts.value.contacts;
  reg.wildcard = contacts.value.wildcard;
  let contactExpires: number | undefined;
  for (const c of reg.contacts) {
    if (getParam(c.params, KEEP_ALIVE_PARAM)) reg.keepAlive = true;
    if (reg.contactUri === undefined) {
      reg.contactUri = c.uri;
      contactExpires = c.expires;
      Object.assign(reg, contactInfoFromParams(c.params));
    }
  }
  const headerExpires = expiresHeader !== undefined ? parseDeltaSeconds(expiresHeader) : undefined;
  const expires = contactExpires ?? (headerExpires?.ok ? headerExpires.value : undefined);
  if (expires !== undefined) reg.expires = expires;

  const ua = CISCO_USER_AGENT.exec(userAgent ?? '');
  if (ua) { reg.modelName = ua[1]; reg.firmware = ua[2]; }
  for (const value of reasons) {
    const a = parseCiscoAlarm(value);
    if (a.ok) { reg.alarm = a.value; break; }
  }
  return ok(reg);
}
