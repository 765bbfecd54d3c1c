// Command lines for sipp acting as a Cisco SIP phone (scripts/lab/sipp-register.xml), so tests,
// benchmarks and the demo send the same REGISTER a CP-8845 would.
import { repoPath } from './repo-root.js';
import type { PhoneIdentity } from './phone-identity.js';

export const SIPP_REGISTER_SCENARIO = ['scripts', 'lab', 'sipp-register.xml'];

export interface SippRegisterOptions {
  target: string;     // "10.30.0.1:5060" (CUCM) or Outpost's LAN address
  localIp?: string;   // the phone's address, used in Via/Contact
  expires?: number;   // default 3600, as Cisco phones ask
  timeoutS?: number;  // give up (exit non-zero) after this many seconds; default 10
  transport?: 'udp' | 'tcp';
  /** Send from this port (the phone's SIP port, so its Contact names where it listens for calls). */
  localPort?: number;
  /** sipp's Call-ID pattern (-cid_str, e.g. "final-%u@%s"), so a test can find this REGISTER at the registrar. */
  callId?: string;
  /** First CSeq (-base_cseq), so successive runs continue one phone's registration sequence. */
  cseq?: number;
}

/** Arguments for `sipp` that send one REGISTER for `phone` and exit 0 once the 200 OK came. */
export function sippRegisterArgs(phone: Pick<PhoneIdentity, 'mac' | 'deviceName' | 'dn'>, opts: SippRegisterOptions): string[] {
  const args = ['-sf', repoPath(...SIPP_REGISTER_SCENARIO), '-m', '1', '-nostdin',
    '-key', 'mac', phone.mac.replace(/:/g, '').toLowerCase(), '-key', 'device', phone.deviceName,
    '-key', 'dn', phone.dn, '-key', 'expires', String(opts.expires ?? 3600),
    '-timeout', String(opts.timeoutS ?? 10), '-timeout_error', '-t', opts.transport === 'tcp' ? 't1' : 'u1'];
  if (opts.localIp) args.push('-i', opts.localIp);
  if (opts.localPort) args.push('-p', String(opts.localPort));
  if (opts.callId) args.push('-cid_str', opts.callId);
  if (opts.cseq) args.push('-base_cseq', String(opts.cseq));
  args.push(opts.target);
  return args;
}

export const SIPP_REGISTER_MANY_SCENARIO = ['scripts', 'lab', 'sipp-register-many.xml'];

/** The injection file for sipp-register-many.xml: one line per phone (MAC; device name; DN). */
export function sippPhonesCsv(phones: Pick<PhoneIdentity, 'mac' | 'deviceName' | 'dn'>[]): string {
  return ['SEQUENTIAL', ...phones.map((p) => `${p.mac.replace(/:/g, '').toLowerCase()};${p.deviceName};${p.dn};`)].join('\n') + '\n';
}

/** Synthetic phone identities for load: MAC 00:5a:xx.., device SEP005A.., DN from `firstDn`. */
export function syntheticPhones(count: number, firstDn = 30000): Pick<PhoneIdentity, 'mac' | 'deviceName' | 'dn'>[] {
  return Array.from({ length: count }, (_, i) => {
    const hex = (0x5a0000000000 + i).toString(16).padStart(12, '0');
    return { mac: hex, deviceName: `SEP${hex.toUpperCase()}`, dn: String(firstDn + i) };
  });
}
