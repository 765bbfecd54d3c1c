// Link plane: CDPv2 and LLDP-MED advertisements on the phones' port, an immediate Power
// Available answer to a phone's CDP Power Requested, and LLDP-MED fast start for new phones.
import { Counter } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import { RawSocket, ETH_P_ALL, ETH_P_LLDP } from '../native/raw-socket.js';
import { cdpFilter, lldpFilter } from '../native/bpf.js';
import { buildCdp, buildLldp, buildLldpShutdown, type AdvertisementInput, type PowerReply } from './advertisement.js';
import { CDP_MULTICAST, cdpSummary, decodeCdpFrame, encodeCdpFrame } from './cdp/index.js';
import { LLDP_MULTICAST, decodeLldpFrame, encodeLldpFrame, lldpSummary } from './lldp/index.js';

const FAST_START_FRAMES = 4;
const FAST_START_INTERVAL_MS = 1000;

/** Highest level the phone can run at that fits the port budget (levels are in mW). */
export function grantFor(levelsMw: number[], budgetMw: number): number | undefined {
  const fitting = levelsMw.filter((l) => l > 0 && l <= budgetMw);
  return fitting.length ? Math.max(...fitting) : undefined;
}

export function createLinkPlane(ctx: PlaneContext): Plane {
  const { config, inventory, log, metrics } = ctx;
  const frames = new Counter({ name: 'outpost_link_frames_total', help: 'CDP/LLDP frames by protocol and direction', labelNames: ['protocol', 'direction'], registers: [] });
  const malformed = new Counter({ name: 'outpost_link_malformed_total', help: 'Undecodable CDP/LLDP frames', labelNames: ['protocol'], registers: [] });
  const medNeighbours = new Map<string, number>(); // MAC -> expiry (ms)
  const timers: NodeJS.Timeout[] = [];
  let cdpSock: RawSocket | undefined;
  let lldpSock: RawSocket | undefined;
  let input: AdvertisementInput;

  const sendCdp = (power?: PowerReply) => {
    if (!cdpSock) return;
    cdpSock.send(encodeCdpFrame(buildCdp(input, config.link.cdp.holdtimeSeconds, power), input.mac));
    frames.inc({ protocol: 'cdp', direction: 'out' });
  };
  const sendLldp = () => {
    if (!lldpSock) return;
    lldpSock.send(encodeLldpFrame(buildLldp(input, config.link.lldp.ttlSeconds), input.mac));
    frames.inc({ protocol: 'lldp', direction: 'out' });
  };
  const safely = (what: string, f: () => void) => () => {
    try { f(); } catch (e) { log.warn({ err: e }, `${what} failed`); }
  };

  const onCdp = (frame: Buffer) => {
    const decoded = decodeCdpFrame(frame);
    if (!decoded.ok) { malformed.inc({ protocol: 'cdp' }); return; }
    frames.inc({ protocol: 'cdp', direction: 'in' });
    const s = cdpSummary(decoded.value.pdu);
    const key = { mac: decoded.value.src };
    inventory.record(key, 'link', 'ok', `CDP from ${s.deviceId ?? decoded.value.src}${s.platform ? ` (${s.platform})` : ''}`,
      { model: s.platform, firmware: s.softwareVersion });
    if (s.powerRequested) {
      const budget = config.link.power.portBudgetMw;
      const granted = grantFor(s.powerRequested.levelsMw, budget);
      const reply: PowerReply = { requestId: s.powerRequested.requestId, managementId: s.powerRequested.managementId, grantMw: granted ?? budget };
      safely('CDP power reply', () => sendCdp(reply))();
      inventory.record(key, 'power', granted !== undefined ? 'ok' : 'fail', granted !== undefined
        ? `granted ${granted} mW of requested ${s.powerRequested.levelsMw.join('/')} mW (request ${reply.requestId})`
        : `requested ${s.powerRequested.levelsMw.join('/')} mW exceeds the ${budget} mW port budget`);
    }
  };

  const onLldp = (frame: Buffer) => {
    const decoded = decodeLldpFrame(frame);
    if (!decoded.ok) { malformed.inc({ protocol: 'lldp' }); return; }
    frames.inc({ protocol: 'lldp', direction: 'in' });
    const s = lldpSummary(decoded.value.pdu);
    const mac = decoded.value.src;
    const inv = s.med?.inventory ?? {};
    inventory.record({ mac }, 'link', 'ok', `LLDP from ${s.systemName ?? mac}${s.med?.deviceClass ? ` (MED class ${s.med.deviceClass})` : ''}`,
      { model: inv.model, firmware: inv.softwareRevision });
    if (s.med) {
      const now = Date.now();
      const known = (medNeighbours.get(mac) ?? 0) > now;
      medNeighbours.set(mac, now + (s.ttl ?? 120) * 1000);
      if (!known) fastStart();
    }
  };

  // LLDP-MED fast start (TIA-1057 §11.2.1): a new endpoint gets 4 LLDPDUs one second apart.
  const fastStart = () => {
    for (let i = 0; i < FAST_START_FRAMES; i++) {
      const t = setTimeout(safely('LLDP fast start', sendLldp), i * FAST_START_INTERVAL_MS);
      timers.push(t);
    }
  };

  return {
    async start() {
      metrics.registerMetric(frames);
      metrics.registerMetric(malformed);
      const iface = config.lan.interface;
      cdpSock = RawSocket.open({ interface: iface, protocol: ETH_P_ALL, filter: cdpFilter(), multicast: [CDP_MULTICAST] });
      lldpSock = RawSocket.open({ interface: iface, protocol: ETH_P_LLDP, filter: lldpFilter(), multicast: [LLDP_MULTICAST] });
      input = {
        systemName: config.link.systemName, interfaceName: iface, mac: cdpSock.mac, address: config.lan.address,
        voice: config.voice, grantMw: config.link.power.portBudgetMw,
      };
      cdpSock.on('frame', onCdp);
      lldpSock.on('frame', onLldp);
      if (config.link.cdp.enabled) {
        safely('CDP advertisement', () => sendCdp())();
        timers.push(setInterval(safely('CDP advertisement', () => sendCdp()), config.link.cdp.intervalSeconds * 1000));
      }
      if (config.link.lldp.enabled) {
        safely('LLDP advertisement', sendLldp)();
        timers.push(setInterval(safely('LLDP advertisement', sendLldp), config.link.lldp.intervalSeconds * 1000));
      }
      log.info({ interface: iface, mac: input.mac }, 'advertising CDP and LLDP-MED');
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      if (lldpSock && config.link.lldp.enabled) safely('LLDP shutdown', () => lldpSock!.send(encodeLldpFrame(buildLldpShutdown(input), input.mac)))();
      cdpSock?.close();
      lldpSock?.close();
      metrics.removeSingleMetric('outpost_link_frames_total');
      metrics.removeSingleMetric('outpost_link_malformed_total');
    },
  };
}

export const linkPlane: PlaneModule = { name: 'link', create: createLinkPlane };
