// `outpost show ...`: reads the running daemon's HTTP API and prints tables (or JSON).
import type { JourneyEvent, Phone } from '../core/inventory.js';
import type { WanSnapshot } from '../core/wan-state.js';
import { formatTable } from './table.js';
import { formatCdpNeighbors, formatLldpNeighbors, formatPowerInline } from '../link/show.js';
import type { NeighbourView, PowerView } from '../link/neighbour-view.js';
import type { SccpRegistrationView } from '../sccp/plane.js';

async function getJson(api: string, path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`http://${api}${path}`);
  } catch {
    throw new Error(`cannot reach Outpost's API at ${api} (is \`outpost run\` running? use --api HOST:PORT)`);
  }
  const body = await res.json();
  if (!res.ok) throw new Error((body as { error?: string }).error ?? `HTTP ${res.status}`);
  return body;
}

type Printer = (data: unknown, arg?: string) => string;

/** `neighbors` or `neighbors detail`, as IOS spells it; anything else is a usage error. */
function neighborsPath(protocol: string, arg?: string): string {
  if (!/^neighbors( detail)?$/.test(arg ?? '')) throw new Error(`usage: outpost show ${protocol} neighbors [detail]`);
  return '/api/neighbors';
}

const printers: Record<string, { path: (arg?: string) => string; print: Printer }> = {
  phones: {
    path: () => '/api/phones',
    print: (d) => formatTable(['Device', 'MAC', 'IP', 'DN', 'Model', 'Registration', 'Last step'], (d as Phone[]).map((p) => [
      p.deviceName, p.mac, p.ip, p.dn, p.model,
      p.registration ? `${p.registration.protocol}/${p.registration.servedBy}` : undefined,
      p.lastEvent ? `${p.lastEvent.step} ${p.lastEvent.outcome}: ${p.lastEvent.detail}` : undefined,
    ])),
  },
  phone: {
    path: (name) => `/api/phones/${encodeURIComponent(name ?? '')}`,
    print: (d) => {
      const p = d as Phone & { journey: JourneyEvent[] };
      const head = [`${p.deviceName}  MAC ${p.mac}  IP ${p.ip ?? '-'}  DN ${p.dn ?? '-'}  model ${p.model ?? '-'}`,
        `registration: ${p.registration ? `${p.registration.protocol} via ${p.registration.servedBy}, contact ${p.registration.contact ?? '-'}, expires ${p.registration.expiresAt ?? '-'}` : 'none'}`, ''];
      return head.join('\n') + formatTable(['Time', 'Step', 'Outcome', 'Detail'], p.journey.map((e) => [e.at, e.step, e.outcome, e.detail]));
    },
  },
  wan: {
    path: () => '/api/wan',
    print: (d) => {
      const w = d as WanSnapshot;
      return `WAN ${w.state} since ${w.since} (${w.reason})\n` + formatTable(['CUCM', 'Reachable', 'RTT ms', 'Failures'],
        Object.entries(w.members).map(([m, s]) => [m, s.reachable ? 'yes' : 'no', s.lastRttMs, s.consecutiveFailures]));
    },
  },
  tftp: {
    // `outpost show tftp cache`: what the file cache holds and how fresh it is.
    path: () => '/api/files',
    print: (d) => {
      const v = d as { diskBytes: number; budgetBytes: number; mode: string; inFlight: number; files: { name: string; size: number; sha256: string; fetchedAt: string; validatedAt: string; lastServedAt?: string }[] };
      return `file cache: ${v.files.length} files, ${(v.diskBytes / 1048576).toFixed(1)} of ${(v.budgetBytes / 1048576).toFixed(0)} MB, ${v.inFlight} fetching, cnf.xml mode ${v.mode}\n`
        + formatTable(['Name', 'Bytes', 'SHA-256', 'Fetched', 'Validated', 'Last served'],
          v.files.map((f) => [f.name, f.size, f.sha256.slice(0, 12), f.fetchedAt, f.validatedAt, f.lastServedAt]));
    },
  },
  ip: {
    path: (arg) => {
      if (arg !== 'dhcp binding') throw new Error('usage: outpost show ip dhcp binding');
      return '/api/leases';
    },
    print: (d) => formatTable(['IP address', 'Client-ID/Hardware address', 'Lease expiration', 'Type', 'State', 'Vendor class'],
      (d as { ip: string; mac: string; clientId?: string; expiresAt: string; type?: string; state: string; vendorClass?: string }[])
        .filter((l) => l.state === 'bound' || l.state === 'offered' || l.state === 'declined')
        .map((l) => [l.ip, l.clientId ? dotted(l.clientId) : l.mac, l.expiresAt, l.type === 'manual' ? 'Manual' : 'Automatic',
          l.state === 'bound' ? 'Active' : l.state === 'offered' ? 'Selecting' : 'Declined', l.vendorClass])),
  },
  leases: {
    path: () => '/api/leases',
    print: (d) => formatTable(['IP address', 'Hardware address', 'Lease expiration', 'State', 'Vendor class'],
      (d as { ip: string; mac: string; expiresAt: string; state: string; vendorClass?: string }[]).map((l) => [l.ip, l.mac, l.expiresAt, l.state, l.vendorClass])),
  },
  cdp: {
    path: (arg) => neighborsPath('cdp', arg),
    print: (d, arg) => formatCdpNeighbors(d as NeighbourView[], arg?.endsWith('detail') ?? false),
  },
  lldp: {
    path: (arg) => neighborsPath('lldp', arg),
    print: (d, arg) => formatLldpNeighbors(d as NeighbourView[], arg?.endsWith('detail') ?? false),
  },
  power: {
    path: (arg) => {
      if (arg !== 'inline') throw new Error('usage: outpost show power inline');
      return '/api/power';
    },
    print: (d) => formatPowerInline(d as PowerView),
  },
  // `outpost show sip registrations`: what IOS's `show voice register pool` lists, for SIP phones.
  sip: {
    path: (arg) => {
      if (arg !== 'registrations') throw new Error('usage: outpost show sip registrations');
      return '/api/registrations';
    },
    print: (d) => formatTable(['Device', 'DN', 'Contact', 'Transport', 'Registered with', 'Expires', 'Source'],
      (d as { protocol?: string; deviceName?: string; dn?: string; contact: string; transport?: string; servedBy: string; expiresAt: string; source: string }[])
        .filter((r) => (r.protocol ?? 'sip') === 'sip')
        .map((r) => [r.deviceName, r.dn, r.contact, r.transport, r.servedBy === 'local' ? 'Outpost' : 'CUCM', r.expiresAt, r.source])),
  },
  // `outpost show sccp`: Skinny phones on TCP 2000, like IOS's `show ephone registered`.
  sccp: {
    path: () => '/api/registrations',
    print: (d) => formatTable(['Device', 'IP', 'State', 'Registered with', 'DN', 'Lines', 'Protocol', 'Type', 'Keepalive', 'Call'],
      (d as SccpRegistrationView[]).filter((r) => r.protocol === 'sccp').map((r) => [
        r.deviceName, r.ip, r.state, r.servedBy === 'local' ? 'Outpost' : r.servedBy === 'upstream' ? `CUCM ${r.upstream ?? ''}`.trim() : '-',
        r.dn, r.lines.filter(Boolean).join(','), r.negotiatedVersion !== undefined ? `${r.negotiatedVersion} (phone ${r.protocolVersion})` : undefined,
        r.deviceType, r.keepAliveSeconds !== undefined ? `${r.keepAliveSeconds} s` : undefined, r.call,
      ])),
  },
};

/** IOS writes client ids as dotted groups of four hex digits: 0100.1b54.aabb.01. */
function dotted(hex: string): string {
  return hex.match(/.{1,4}/g)?.join('.') ?? hex;
}

export const showTopics = Object.keys(printers);

export async function show(topic: string, arg: string | undefined, opts: { api: string; json?: boolean }): Promise<string> {
  const printer = printers[topic];
  if (!printer) throw new Error(`unknown topic "${topic}"; one of: ${showTopics.join(', ')}`);
  if (topic === 'phone' && !arg) throw new Error('usage: outpost show phone SEP<MAC>');
  const data = await getJson(opts.api, printer.path(arg));
  return opts.json ? JSON.stringify(data, null, 2) : printer.print(data, arg);
}
