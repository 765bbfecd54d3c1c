// Reads the lab CUCM's registrations out of Kamailio (kamcmd ul.dump), so tests can check that a
// phone's REGISTER really reached the upstream registrar through Outpost.
import { sh } from './netns.js';

export interface KamailioLocation {
  aor: string;     // "2001" (usrloc without domains keys bindings by the user part)
  contact: string; // sip:...@10.20.0.101:5060;transport=udp
  expires: number; // seconds left, as Kamailio reports it; 0 for "permanent"/"deleted"
  instance?: string;   // <urn:uuid:00000000-0000-0000-0000-001122334401>
  userAgent?: string;
  callId?: string;     // of the REGISTER that made or last refreshed the binding
  cseq?: number;       // and its CSeq
}

/**
 * Parses kamcmd's indented dump. Only the shape matters: "AoR: x" opens a record, each
 * "Address: y" opens a contact of it, and the fields that follow belong to that contact.
 */
export function parseUlDump(text: string): KamailioLocation[] {
  const out: KamailioLocation[] = [];
  let aor: string | undefined;
  let current: KamailioLocation | undefined;
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z-]+):\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    const [, key, value] = m;
    if (key === 'AoR') {
      aor = value;
      current = undefined;
    } else if (key === 'Address' && aor !== undefined) {
      current = { aor, contact: value, expires: 0 };
      out.push(current);
    } else if (current) {
      if (key === 'Expires') current.expires = /^\d+$/.test(value) ? Number(value) : 0;
      else if (key === 'Instance' && value !== '[not set]') current.instance = value;
      else if (key === 'User-Agent' && value !== '[not set]') current.userAgent = value;
      else if (key === 'Call-ID') current.callId = value;
      else if (key === 'CSeq' && /^\d+$/.test(value)) current.cseq = Number(value);
    }
  }
  return out;
}

/** Every binding Kamailio holds, through its ctl socket (the socket is reachable from any namespace). */
export function readKamailioLocations(ctlSocket: string): KamailioLocation[] {
  return parseUlDump(sh('kamcmd', ['-s', `unix:${ctlSocket}`, 'ul.dump']));
}
