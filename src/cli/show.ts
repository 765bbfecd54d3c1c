// `outpost show ...`: reads the running daemon's HTTP API and prints tables (or JSON).
import type { JourneyEvent, Phone } from '../core/inventory.js';
import type { WanSnapshot } from '../core/wan-state.js';
import { formatTable } from './table.js';

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

type Printer = (data: unknown) => string;

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
  leases: {
    path: () => '/api/leases',
    print: (d) => formatTable(['IP address', 'Hardware address', 'Lease expiration', 'State', 'Vendor class'],
      (d as { ip: string; mac: string; expiresAt: string; state: string; vendorClass?: string }[]).map((l) => [l.ip, l.mac, l.expiresAt, l.state, l.vendorClass])),
  },
};

export const showTopics = Object.keys(printers);

export async function show(topic: string, arg: string | undefined, opts: { api: string; json?: boolean }): Promise<string> {
  const printer = printers[topic];
  if (!printer) throw new Error(`unknown topic "${topic}"; one of: ${showTopics.join(', ')}`);
  if (topic === 'phone' && !arg) throw new Error('usage: outpost show phone SEP<MAC>');
  const data = await getJson(opts.api, printer.path(arg));
  return opts.json ? JSON.stringify(data, null, 2) : printer.print(data);
}
