// The configuration schema. Every key a user may set lives here, with its default and
// the reason a value is refused, so `outpost run` can name the bad field.
import { z } from 'zod';
import { isIPv4 } from 'node:net';

const ipv4 = z.string().refine((s) => isIPv4(s), { message: 'must be an IPv4 address like 10.20.0.1' });

const range = z.string().refine((s) => {
  const m = /^\s*([\d.]+)\s*-\s*([\d.]+)\s*$/.exec(s);
  return !!m && isIPv4(m[1]) && isIPv4(m[2]) && ipToInt(m[1]) <= ipToInt(m[2]);
}, { message: 'must be an address range like 10.20.0.100-10.20.0.199 (first <= last)' });

const hostPort = z.string().refine((s) => {
  const m = /^(.+):(\d+)$/.exec(s);
  return !!m && Number(m[2]) > 0 && Number(m[2]) < 65536;
}, { message: 'must be host:port, like 127.0.0.1:8080' });

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export const configSchema = z.strictObject({
  /** Outpost's port on the phones' segment. */
  lan: z.strictObject({
    interface: z.string().min(1).max(15),
    address: ipv4,
    prefixLength: z.number().int().min(8).max(30).default(24),
  }),
  /** What phones are told about the voice VLAN (CDP VoIP VLAN Reply, LLDP-MED network policy). */
  voice: z.strictObject({
    vlan: z.number().int().min(1).max(4094),
    cos: z.number().int().min(0).max(7).default(5),
    dscp: z.number().int().min(0).max(63).default(46),
  }),
  link: z.strictObject({
    cdp: z.strictObject({
      enabled: z.boolean().default(true),
      intervalSeconds: z.number().int().min(5).max(254).default(60),
      holdtimeSeconds: z.number().int().min(10).max(255).default(180),
    }).prefault({}),
    lldp: z.strictObject({
      enabled: z.boolean().default(true),
      intervalSeconds: z.number().int().min(5).max(3600).default(30),
      ttlSeconds: z.number().int().min(10).max(65535).default(120),
    }).prefault({}),
    power: z.strictObject({
      portBudgetMw: z.number().int().min(0).max(100_000).default(15_400),
    }).prefault({}),
    systemName: z.string().min(1).max(255).default('outpost'),
  }).prefault({}),
  dhcp: z.strictObject({
    enabled: z.boolean().default(true),
    pool: range,
    router: ipv4.optional(),
    dns: z.array(ipv4).default([]),
    domain: z.string().optional(),
    ntp: z.array(ipv4).default([]),
    lease: z.number().int().min(60).max(31_536_000).default(3600),
  }),
  upstream: z.strictObject({
    cucm: z.array(ipv4).min(1, { message: 'needs at least one CUCM address' }),
    tftpPort: z.number().int().min(1).max(65535).default(69),
    sipPort: z.number().int().min(1).max(65535).default(5060),
  }),
  files: z.strictObject({
    tftpPort: z.number().int().min(1).max(65535).default(69),
    upstreamTimeoutMs: z.number().int().min(100).max(60_000).default(1500),
  }).prefault({}),
  sip: z.strictObject({
    port: z.number().int().min(1).max(65535).default(5060),
    /** Expiry granted to phones registered locally in survival. */
    localExpiresSeconds: z.number().int().min(60).max(86_400).default(3600),
  }).prefault({}),
  wan: z.strictObject({
    probeIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    probeTimeoutMs: z.number().int().min(100).max(60_000).default(800),
    /** Consecutive failed probe rounds before `degraded` and before `survival`. */
    failuresToDegraded: z.number().int().min(1).max(100).default(1),
    failuresToSurvival: z.number().int().min(1).max(100).default(2),
    /** Healthy time in `recovering` before phones are handed back to CUCM. */
    holdDownSeconds: z.number().min(0).max(3600).default(5),
  }).prefault({}),
  dataDir: z.string().min(1),
  api: z.strictObject({ listen: hostPort }).prefault({ listen: '127.0.0.1:8080' }),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  }).prefault({}),
});

export type OutpostConfig = z.infer<typeof configSchema>;
