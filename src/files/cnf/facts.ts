// What Outpost learns from a phone's own cnf.xml before any rewrite: the CUCM members it
// registers with (where the SIP and SCCP planes relay), its lines and DN, its protocol, and
// the other files it will ask for next (what prefetch fetches ahead of an outage).
import type { CallManager } from '../../core/inventory.js';
import { elements, first, maskComments, textOf } from './xml-spans.js';

export interface ConfigFacts {
  callManagers: CallManager[];
  /** Directory numbers of the phone's lines, in button order. */
  lines: string[];
  protocol?: 'sip' | 'sccp';
  /** File names the phone fetches after this file (loads, dial plan, softkeys, ring list). */
  references: string[];
}

const LINE_FEATURE = '9'; // featureID 9 is a line; others are speed dials, services, ...

export function configFacts(text: string): ConfigFacts {
  const masked = maskComments(text);
  const group = first(masked, 'callManagerGroup');
  const callManagers: CallManager[] = [];
  if (group) {
    for (const cm of elements(masked, 'callManager', group.innerStart, group.innerEnd)) {
      const host = textOf(text, first(masked, 'processNodeName', cm)) || textOf(text, first(masked, 'name', cm));
      if (!host) continue;
      const ports = first(masked, 'ports', cm);
      const port = (tag: string) => {
        const n = Number(textOf(text, ports && first(masked, tag, ports)));
        return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
      };
      callManagers.push({ host, sipPort: port('sipPort'), sccpPort: port('ethernetPhonePort') });
    }
  }

  const sip = first(masked, 'sipLines') !== undefined || first(masked, 'sipProfile') !== undefined;
  const lineBlock = first(masked, 'sipLines') ?? first(masked, 'lines');
  const lines: string[] = [];
  for (const line of lineBlock ? elements(masked, 'line', lineBlock.innerStart, lineBlock.innerEnd) : []) {
    const feature = textOf(text, first(masked, 'featureID', line));
    if (feature !== undefined && feature !== LINE_FEATURE) continue;
    const dn = textOf(text, first(masked, 'name', line));
    if (dn) lines.push(dn);
  }
  const protocol = sip ? 'sip' : lineBlock || callManagers.some((c) => c.sccpPort) ? 'sccp' : undefined;

  const references = new Set<string>();
  const load = textOf(text, first(masked, 'loadInformation'));
  if (load) references.add(/\.(loads|sbn|bin|zz)$/i.test(load) ? load : `${load}.loads`);
  for (const tag of ['dialTemplate', 'softKeyFile', 'featurePolicyFile']) {
    for (const s of elements(masked, tag)) {
      const name = textOf(text, s);
      if (name && !/^[a-z]+:\/\//i.test(name)) references.add(name);
    }
  }
  // The ring list every phone reads from the TFTP root (the wideband one on newer SIP phones).
  references.add('Ringlist.xml');
  if (sip) references.add('Ringlist-wb.xml');
  return { callManagers, lines, protocol, references: [...references] };
}
