// Rewrites a phone's cnf.xml for the survivability mode (DESIGN.md "Survivability model"):
// proxy names Outpost as every callManagerGroup member (ports kept), so phones register
// through Outpost; srst fills srstInfo with Outpost, as a Cisco SRST router's address would
// be; passthrough changes nothing. Bytes outside the edited text nodes never change.
import { applyEdits, elements, encodeText, first, maskComments, setText, type Edit } from './xml-spans.js';

export type RewriteMode = 'proxy' | 'srst' | 'passthrough';

export interface RewriteOptions {
  mode: RewriteMode;
  /** Outpost's address on the phones' segment. */
  address: string;
  sipPort?: number;
  sccpPort?: number;
}

export function rewriteConfig(text: string, opts: RewriteOptions): string {
  if (opts.mode === 'passthrough') return text;
  const masked = maskComments(text);
  const edits = opts.mode === 'proxy' ? proxyEdits(text, masked, opts) : srstEdits(text, masked, opts);
  return applyEdits(text, edits);
}

function proxyEdits(text: string, masked: string, opts: RewriteOptions): Edit[] {
  const group = first(masked, 'callManagerGroup');
  if (!group) return [];
  const edits: Edit[] = [];
  for (const cm of elements(masked, 'callManager', group.innerStart, group.innerEnd)) {
    for (const tag of ['processNodeName', 'name']) {
      // A callManager's <name> is its host in some firmware generations; other names are labels.
      const span = first(masked, tag, cm);
      if (!span || (tag === 'name' && !looksLikeHost(text.slice(span.innerStart, span.innerEnd)))) continue;
      edits.push(setText(text, span, tag, opts.address));
    }
  }
  return edits;
}

function looksLikeHost(s: string): boolean {
  return /^\s*[A-Za-z0-9.-]+\s*$/.test(s) && /[.\d]/.test(s);
}

function srstEdits(text: string, masked: string, opts: RewriteOptions): Edit[] {
  const info = first(masked, 'srstInfo');
  const sip = first(masked, 'sipProfile') !== undefined || first(masked, 'sipLines') !== undefined;
  const sccpPort = String(opts.sccpPort ?? 2000);
  const sipPort = String(opts.sipPort ?? 5060);
  if (!info) {
    const pool = first(masked, 'devicePool');
    if (!pool || pool.selfClosing) return [];
    const block = sip
      ? `<srstInfo><name>Outpost</name><srstOption>Enable</srstOption><userModifiable>false</userModifiable><ipAddr1>${encodeText(opts.address)}</ipAddr1><port1>${sccpPort}</port1><sipIpAddr1>${encodeText(opts.address)}</sipIpAddr1><sipPort1>${sipPort}</sipPort1><isSecure>false</isSecure></srstInfo>`
      : `<srstInfo><name>Outpost</name><srstOption>Enable</srstOption><userModifiable>false</userModifiable><ipAddr1>${encodeText(opts.address)}</ipAddr1><port1>${sccpPort}</port1><isSecure>false</isSecure></srstInfo>`;
    return [{ start: pool.innerEnd, end: pool.innerEnd, text: block }];
  }
  const edits: Edit[] = [];
  const set = (tag: string, value: string) => {
    const span = first(masked, tag, info);
    if (span) edits.push(setText(text, span, tag, value));
    else edits.push({ start: info.innerEnd, end: info.innerEnd, text: `<${tag}>${encodeText(value)}</${tag}>` });
  };
  set('name', 'Outpost');
  set('srstOption', 'Enable');
  set('ipAddr1', opts.address);
  set('port1', sccpPort);
  if (sip) {
    set('sipIpAddr1', opts.address);
    set('sipPort1', sipPort);
  }
  return edits;
}
