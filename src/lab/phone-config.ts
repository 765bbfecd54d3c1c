// The per-phone SEP<MAC>.cnf.xml files the lab's CUCM TFTP serves. They are rendered from a real
// phone configuration (the SIP fixture) so Outpost's cache and rewrite paths see a genuine file,
// with only what CUCM would change per phone replaced: line DN, labels, version stamp, and the
// callManagerGroup member, which names the lab's CUCM.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { repoPath } from './repo-root.js';

export interface PhoneConfigFields {
  deviceName: string;  // SEP001122334401
  dn: string;          // 2001
  cucmAddress: string; // 10.30.0.1
  sipPort?: number;    // 5060
}

export const SIP_PHONE_TEMPLATE = ['test', 'fixtures', 'config', 'sip', 'SEP2C73A02DF3E8.cnf.xml'];
export const DEFAULT_CONFIG_TEMPLATE = ['test', 'fixtures', 'config', 'sccp', 'XMLDefault_minimal_pyskinny.cnf.xml'];

export function loadPhoneConfigTemplate(): string {
  return readFileSync(repoPath(...SIP_PHONE_TEMPLATE), 'utf8');
}

export function loadDefaultConfigTemplate(): string {
  return readFileSync(repoPath(...DEFAULT_CONFIG_TEMPLATE), 'utf8');
}

/** Replaces with a regex that must match: a template that lost the element is an error, not a silent no-op. */
function mustReplace(text: string, pattern: RegExp, replacement: string | ((...m: string[]) => string), what: string): string {
  if (!pattern.test(text)) throw new Error(`lab: phone config template has no ${what}`);
  pattern.lastIndex = 0;
  return text.replace(pattern, replacement as (substring: string, ...args: string[]) => string);
}

/** Each phone gets its own stable version stamp, as CUCM gives each device file its own. */
function versionStampFor(deviceName: string): string {
  const h = createHash('sha1').update(`outpost-lab:${deviceName}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function xmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The template with this phone's device-specific values; everything else byte for byte unchanged. */
export function renderPhoneConfig(template: string, fields: PhoneConfigFields): string {
  const cucm = xmlText(fields.cucmAddress);
  const dn = xmlText(fields.dn);
  let out = mustReplace(template, /(<callManagerGroup>[\s\S]*?<processNodeName>)[^<]*(<\/processNodeName>)/,
    (_m, a, b) => `${a}${cucm}${b}`, 'callManagerGroup processNodeName');
  out = mustReplace(out, /(<callManagerGroup>[\s\S]*?<sipPort>)[^<]*(<\/sipPort>)/,
    (_m, a, b) => `${a}${fields.sipPort ?? 5060}${b}`, 'callManagerGroup sipPort');
  // Line 1 carries the DN in several elements (label, name, authName, contact): swap them all.
  out = mustReplace(out, /<line button="1"[^>]*>[\s\S]*?<\/line>/, (line) => {
    const original = /<name>([^<]*)<\/name>/.exec(line)?.[1];
    if (original === undefined) throw new Error('lab: phone config template line 1 has no <name>');
    const withDn = line.split(`>${original}<`).join(`>${dn}<`);
    return withDn.replace(/(<displayName>)[^<]*(<\/displayName>)/, (_m, a, b) => `${a}${xmlText(fields.deviceName)}${b}`);
  }, 'line button="1"');
  out = mustReplace(out, /(<phoneLabel>)[^<]*(<\/phoneLabel>)/, (_m, a, b) => `${a}${dn}${b}`, 'phoneLabel');
  out = mustReplace(out, /(<versionStamp>)[^<]*(<\/versionStamp>)/, (_m, a, b) => `${a}${versionStampFor(fields.deviceName)}${b}`, 'versionStamp');
  return out;
}

/** XMLDefault.cnf.xml (what an unknown phone fetches to auto-register), pointing at the lab's CUCM. */
export function renderDefaultConfig(template: string, cucmAddress: string): string {
  return mustReplace(template, /(<processNodeName>)[^<]*(<\/processNodeName>)/g,
    (_m, a, b) => `${a}${xmlText(cucmAddress)}${b}`, 'processNodeName');
}
