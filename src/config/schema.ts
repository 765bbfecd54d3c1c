// The configuration schema. Every key a user may set lives here, with its default and
// the reason a value is refused, so `outpost run` can name the bad field.
import { z } from 'zod';
import { isIPv4 } from 'node:net';
import { requireIp } from '../util/ipv4.js';

const ipv4 = z.string().refine((s) => isIPv4(s), { message: 'must be an IPv4 address like 10.20.0.1' });

const range = z.string().refine((s) => {
  const m = /^\s*([\d.]+)\s*-\s*([\d.]+)\s*$/.exec(s);
  return !!m && isIPv4(m[1]) && isIPv4(m[2]) && requireIp(m[1]) <= requireIp(m[2]);
}, { message: 'must be an address range like 10.20.0.100-10.20.0.199 (first <= last)' });

const hostPort = z.string().refine((s) => {
  const m = /^(.+):(\d+)$/.exec(s);
  return !!m && Number(m[2]) > 0 && Number(m[2]) < 65536;
}, { message: 'must be host:port, like 127.0.0.1:8080' });

// The gateway's in-dialog requests find their way back through a flow token that names an
// IPv4 address, so a host name would be accepted here and then fail mid-call.
const ipv4Port = z.string().refine((s) => {
  const m = /^([\d.]+):(\d+)$/.exec(s);
  return !!m && isIPv4(m[1]) && Number(m[2]) > 0 && Number(m[2]) < 65536;
}, { message: 'must be an IPv4 address and port, like 10.20.0.2:5060' });

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
      /** Bit 0 set: the phone may pass on the CoS its PC port's traffic carries (IOS `switchport priority extend trust`). */
      trustBitmap: z.number().int().min(0).max(255).default(0),
      /** CoS the phone writes on untrusted PC-port traffic (IOS `switchport priority extend cos`). */
      untrustedCos: z.number().int().min(0).max(7).default(0),
    }).prefault({}),
    lldp: z.strictObject({
      enabled: z.boolean().default(true),
      intervalSeconds: z.number().int().min(5).max(3600).default(30),
      ttlSeconds: z.number().int().min(10).max(65535).default(120),
      /** LLDP-MED voice-signaling policy (SIP/SCCP); Cisco's QoS baseline marks it CS3. */
      signalingCos: z.number().int().min(0).max(7).default(3),
      signalingDscp: z.number().int().min(0).max(63).default(24),
    }).prefault({}),
    power: z.strictObject({
      /** Most one phone may draw (15.4 W = 802.3af class 0/3). */
      portBudgetMw: z.number().int().min(0).max(100_000).default(15_400),
      /** What the PoE switch can supply to all phones together (370 W = 24 ports at 15.4 W). */
      totalBudgetMw: z.number().int().min(0).max(10_000_000).default(370_000),
    }).prefault({}),
    systemName: z.string().min(1).max(255).default('outpost'),
    /** Neighbours remembered at once; frames from further new devices are dropped and counted. */
    maxNeighbours: z.number().int().min(1).max(100_000).default(2048),
  }).refine((l) => l.cdp.holdtimeSeconds > l.cdp.intervalSeconds && l.lldp.ttlSeconds > l.lldp.intervalSeconds, {
    message: 'cdp.holdtimeSeconds and lldp.ttlSeconds must exceed their intervalSeconds, or neighbours forget Outpost between frames',
  }).prefault({}),
  dhcp: z.strictObject({
    enabled: z.boolean().default(true),
    pool: range,
    router: ipv4.optional(),
    dns: z.array(ipv4).default([]),
    domain: z.string().optional(),
    ntp: z.array(ipv4).default([]),
    lease: z.number().int().min(60).max(31_536_000).default(3600),
    /** T1 and T2 in seconds; default half and seven eighths of the lease. */
    renewal: z.number().int().min(1).max(31_536_000).optional(),
    rebinding: z.number().int().min(1).max(31_536_000).optional(),
    /** Fixed addresses: by MAC, or by client identifier (option 61, hex, type byte first). */
    reservations: z.array(z.strictObject({
      mac: z.string().regex(/^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/, { message: 'must be a MAC like 00:1b:54:aa:bb:01' }).optional(),
      clientId: z.string().regex(/^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2})+$/, { message: 'must be hex bytes like 01:00:1b:54:aa:bb:01' }).optional(),
      ip: ipv4,
    }).refine((r) => (r.mac === undefined) !== (r.clientId === undefined), { message: 'give exactly one of mac or clientId' })).default([]),
    /** Ask the segment with ARP before offering an address that was never leased; skip it if anyone answers. */
    arpProbe: z.strictObject({
      enabled: z.boolean().default(true),
      timeoutMs: z.number().int().min(10).max(5000).default(200),
    }).prefault({}),
    /** Leases gathered into one transaction (one fsync) before their ACKs leave; 0 = what arrived together. */
    groupCommitMs: z.number().min(0).max(50).default(1),
    limits: z.strictObject({
      /** Messages per second from one MAC (burst of twice that). */
      perMacPerSecond: z.number().min(0.1).max(10_000).default(5),
      /** Messages per second from everyone together. */
      globalPerSecond: z.number().min(1).max(1_000_000).default(20_000),
      /** Offers held for clients that never had a lease here; DISCOVERs from new clients beyond it are dropped. */
      maxOutstandingOffers: z.number().int().min(1).max(1_000_000).default(1024),
      /** How long an offered address is held for the client. */
      offerHoldSeconds: z.number().int().min(1).max(600).default(30),
    }).prefault({}),
  }),
  upstream: z.strictObject({
    cucm: z.array(ipv4).min(1, { message: 'needs at least one CUCM address' }),
    tftpPort: z.number().int().min(1).max(65535).default(69),
    sipPort: z.number().int().min(1).max(65535).default(5060),
  }),
  files: z.strictObject({
    /** proxy: cnf.xml names Outpost as call control; srst: only srstInfo names Outpost; passthrough: unchanged. */
    mode: z.enum(['proxy', 'srst', 'passthrough']).default('proxy'),
    tftpPort: z.number().int().min(1).max(65535).default(69),
    /** HTTP port phones try before TFTP (CUCM's is 6970); 0 turns it off. */
    httpPort: z.number().int().min(0).max(65535).default(6970),
    /** CUCM's HTTP file service, asked before its TFTP; 0 asks TFTP only. */
    upstreamHttpPort: z.number().int().min(0).max(65535).default(6970),
    upstreamTimeoutMs: z.number().int().min(100).max(60_000).default(1500),
    /**
     * Block size asked of a CUCM TFTP that has no windowsize (lockstep: one WAN round trip per
     * block). Larger blocks cross the WAN as IP fragments: a lost fragment costs its block one
     * retransmission, which even at 1 % frame loss costs less than 23 times more round trips.
     * Where no large block arrives at all, Outpost falls back to 1428 for a while. 1428: off.
     */
    upstreamLockstepBlksize: z.number().int().min(1428).max(65_464).default(32_768),
    /** Concurrent TFTP transfers; beyond it phones are told "busy" and retry (a boot storm of a large branch fits). */
    maxTransfers: z.number().int().min(1).max(4096).default(512),
    /** Cached files go out over TFTP from native threads, one per transfer (a boot storm uses every core); false serves every transfer on the event loop. */
    tftpThreads: z.boolean().default(true),
    /** Age after which a cached file is checked with CUCM again before it is served (while online). */
    revalidateAfterSeconds: z.number().int().min(0).max(604_800).default(300),
    /** How long "CUCM has no such file" is remembered. */
    negativeTtlSeconds: z.number().int().min(0).max(3600).default(30),
    /** Disk space for cached files; least recently used files of unknown phones go first. */
    diskBudgetMb: z.number().int().min(1).max(1_000_000).default(2048),
    /** A secure (mixed-mode) cluster serves CTL files; a non-secure one answers "file not found" at once. */
    secureCluster: z.boolean().default(false),
    /** Fetch a phone's cnf.xml and everything it names when it gets a lease, and every N minutes (0: never). */
    prefetchOnLease: z.boolean().default(true),
    prefetchIntervalMinutes: z.number().int().min(0).max(10_080).default(60),
  }).prefault({}),
  sip: z.strictObject({
    port: z.number().int().min(1).max(65535).default(5060),
    /** Expiry granted to phones registered locally in survival. */
    localExpiresSeconds: z.number().int().min(60).max(86_400).default(3600),
    /** The branch's own SIP gateway (IPv4:port) for numbers that are not branch phones, in survival. */
    gateway: ipv4Port.optional(),
    /** REGISTERs per second when phones are handed back to CUCM after an outage (with jitter). */
    rehomeRatePerSecond: z.number().min(0.1).max(1000).default(20),
    /** Open SIP transactions above which new requests are refused with 503 (flood protection). */
    maxTransactions: z.number().int().min(100).max(1_000_000).default(20_000),
    /** A phone's TCP connection silent this long is closed. */
    tcpIdleSeconds: z.number().int().min(30).max(86_400).default(900),
  }).prefault({}),
  sccp: z.strictObject({
    enabled: z.boolean().default(true),
    port: z.number().int().min(1).max(65535).default(2000),
    /** Keepalive interval Outpost's RegisterAck gives phones it serves locally (CUCM's default is 30). */
    keepAliveSeconds: z.number().int().min(1).max(600).default(30),
    secondaryKeepAliveSeconds: z.number().int().min(5).max(600).default(60),
    dateTemplate: z.string().regex(/^[DMYA/.-]{1,6}$/, { message: 'must be a date template like M/D/Y or D.M.YA' }).default('M/D/Y'),
    /** Highest SCCP protocol version Outpost negotiates (phones get the lower of theirs and this). */
    maxProtocolVersion: z.number().int().min(3).max(22).default(20),
    prompt: z.string().min(1).max(31).default('CM Fallback Service Operating'),
    /** How long to wait for CUCM to accept the relayed connection before serving the phone locally. */
    upstreamConnectTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
    /** A relayed KeepAliveReq CUCM leaves unanswered this long makes Outpost serve the phone itself. */
    upstreamKeepAliveTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
    /** Locally served phones handed back to CUCM per second once the WAN is online again. */
    rehomeRatePerSecond: z.number().min(0.1).max(1000).default(5),
    maxConnections: z.number().int().min(1).max(100_000).default(2000),
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
