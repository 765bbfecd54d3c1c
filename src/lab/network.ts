// The lab's wires: a "switch" namespace whose bridge joins the phones and Outpost's LAN port,
// and a "wan" namespace whose bridge joins Outpost's WAN port and the CUCM stand-in. Addresses
// are fixed (they exist only inside these namespaces); phones start without one, as real phones do.
import type { LabSpace } from './netns.js';
import { sh } from './netns.js';
import type { PhoneIdentity } from './phone-identity.js';

export const LAN = { subnet: '10.20.0.0/24', appAddress: '10.20.0.1', prefixLen: 24, appMac: '02:00:0a:14:00:01' } as const;
export const WAN = { subnet: '10.30.0.0/24', appAddress: '10.30.0.2', cucmAddress: '10.30.0.1', prefixLen: 24, appMac: '02:00:0a:1e:00:02', cucmMac: '02:00:0a:1e:00:01' } as const;

export interface LabPhone extends PhoneIdentity {
  ns: string;
  ifname: 'eth0';
}

function ipIn(ns: string, args: string[]): void {
  sh('ip', ['-n', ns, ...args]);
}

function sysctlIn(ns: string, setting: string): void {
  sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', setting]);
}

/** A bridge that forwards at once (no STP listening delay) and passes LLDP, whose group address a Linux bridge drops by default. */
function addBridge(ns: string, name: string): void {
  ipIn(ns, ['link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'group_fwd_mask', '0x4000']);
  ipIn(ns, ['link', 'set', name, 'up']);
}

function plugIntoBridge(ns: string, port: string, bridge: string): void {
  ipIn(ns, ['link', 'set', port, 'master', bridge]);
  ipIn(ns, ['link', 'set', port, 'up']);
}

/** The infrastructure namespaces and links; phones are added with addPhone. */
export function buildBackbone(space: LabSpace): void {
  for (const role of ['switch', 'wan', 'app', 'cucm']) space.addNamespace(role);
  const [sw, wan, app, cucm] = ['switch', 'wan', 'app', 'cucm'].map((r) => space.ns(r));
  // The switch and the WAN are wires: they must not put traffic of their own on the segments.
  for (const ns of [sw, wan]) {
    sysctlIn(ns, 'net.ipv6.conf.all.disable_ipv6=1');
    sysctlIn(ns, 'net.ipv6.conf.default.disable_ipv6=1');
  }
  addBridge(sw, 'br0');
  addBridge(wan, 'brw');

  space.veth({ role: 'app', ifname: 'lan0', mac: LAN.appMac }, { role: 'switch', ifname: 'app' });
  space.veth({ role: 'app', ifname: 'wan0', mac: WAN.appMac }, { role: 'wan', ifname: 'app' });
  space.veth({ role: 'cucm', ifname: 'wan0', mac: WAN.cucmMac }, { role: 'wan', ifname: 'cucm' });
  plugIntoBridge(sw, 'app', 'br0');
  plugIntoBridge(wan, 'app', 'brw');
  plugIntoBridge(wan, 'cucm', 'brw');

  ipIn(app, ['addr', 'add', `${LAN.appAddress}/${LAN.prefixLen}`, 'dev', 'lan0']);
  ipIn(app, ['addr', 'add', `${WAN.appAddress}/${WAN.prefixLen}`, 'dev', 'wan0']);
  ipIn(app, ['link', 'set', 'lan0', 'up']);
  ipIn(app, ['link', 'set', 'wan0', 'up']);
  // Outpost relays between the phones and CUCM while the WAN is up.
  sysctlIn(app, 'net.ipv4.ip_forward=1');

  ipIn(cucm, ['addr', 'add', `${WAN.cucmAddress}/${WAN.prefixLen}`, 'dev', 'wan0']);
  ipIn(cucm, ['link', 'set', 'wan0', 'up']);
  ipIn(cucm, ['route', 'add', LAN.subnet, 'via', WAN.appAddress]);
}

/** A phone namespace with eth0 (the phone's fixed MAC, no address) plugged into switch port p<index>. */
export function addPhone(space: LabSpace, phone: PhoneIdentity): LabPhone {
  const role = `phone${phone.index}`;
  const ns = space.addNamespace(role);
  const port = `p${phone.index}`;
  space.veth({ role, ifname: 'eth0', mac: phone.mac }, { role: 'switch', ifname: port });
  plugIntoBridge(space.ns('switch'), port, 'br0');
  ipIn(ns, ['link', 'set', 'eth0', 'up']);
  return { ...phone, ns, ifname: 'eth0' };
}

/** Lab namespaces that exist right now with this prefix (including ones a crashed run left behind). */
export function namespacesWithPrefix(prefix: string): string[] {
  return sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${prefix}-`));
}
