// Link plane: Outpost acts as the phones' access switch. It advertises CDPv2 and LLDP-MED (voice
// VLAN, QoS, power), keeps the neighbour table, answers a phone's CDP Power Requested at once
// from the PoE budget, runs LLDP-MED fast start for new phones, and says goodbye (TTL 0) on exit.
import { Counter, Gauge } from 'prom-client';
import type { Plane, PlaneContext, PlaneModule } from '../core/plane.js';
import { normalizeMac } from '../core/inventory.js';
import { RawSocket, ETH_P_ALL, ETH_P_LLDP } from '../native/raw-socket.js';
import { cdpFilter, lldpFilter } from '../native/bpf.js';
import { buildCdp, buildCdpShutdown, buildLldp, buildLldpShutdown, type AdvertisementInput, type PowerReply } from './advertisement.js';
import { CDP_MULTICAST, cdpSummary, decodeCdpFrame, encodeCdpFrame } from './cdp/index.js';
import { LLDP_MULTICAST, decodeLldpFrame, encodeLldpFrame, lldpSummary } from './lldp/index.js';
import { FastStart } from './fast-start.js';
import { NeighbourTable, cdpFacts, lldpFacts, type HeardResult, type LinkProtocol, type LldpFacts, type Neighbour } from './neighbours.js';
import {
  linkJourneyDetail, neighbourIdentity, neighbourPowerRequest, neighbourView, powerAllocationView, powerJourneyDetail, type PowerView,
} from './neighbour-view.js';
import { PowerBudget, type PowerAllocation } from './power-budget.js';

const EXPIRY_SWEEP_MS = 1000;
/** The same answer to the same request is sent at most once in this window (no frame-for-frame echo of a flood). */
const REPLY_HOLDOFF_MS = 1000;

/** LLDP-MED endpoint classes I–III (phones, media gateways); class 4 is network equipment. */
function isMedEndpoint(facts: LldpFacts | undefined): boolean {
  const cls = facts?.med?.deviceClass;
  return cls !== undefined && cls >= 1 && cls <= 3;
}

export function createLinkPlane(ctx: PlaneContext): Plane {
  const { config, inventory, log, metrics } = ctx;
  const link = config.link;
  const iface = config.lan.interface;
  const metricNames: string[] = [];
  const counter = (name: string, help: string, labelNames: string[] = []) => {
    metricNames.push(name);
    return new Counter({ name, help, labelNames, registers: [] });
  };
  const gauge = (name: string, help: string) => {
    metricNames.push(name);
    return new Gauge({ name, help, registers: [] });
  };
  const frames = counter('outpost_link_frames_total', 'CDP/LLDP frames by protocol and direction', ['protocol', 'direction']);
  const malformed = counter('outpost_link_malformed_total', 'Undecodable CDP/LLDP frames', ['protocol']);
  const dropped = counter('outpost_link_neighbours_dropped_total', 'Frames from new neighbours dropped because the neighbour table was full', ['protocol']);
  const refusals = counter('outpost_link_power_refusals_total', 'Power requests refused for lack of budget');
  const neighboursGauge = gauge('outpost_link_neighbours', 'Neighbours in the table');
  const powerUsed = gauge('outpost_link_power_allocated_mw', 'PoE power granted to phones, mW');
  const ownMetrics = [frames, malformed, dropped, refusals, neighboursGauge, powerUsed];

  const table = new NeighbourTable(link.maxNeighbours);
  const budget = new PowerBudget(link.power.portBudgetMw, link.power.totalBudgetMw);
  const lastReply = new Map<string, { requestId: number; availableMw: number; at: number }>();
  const timers: NodeJS.Timeout[] = [];
  let cdpSock: RawSocket | undefined;
  let lldpSock: RawSocket | undefined;
  let ownMac = '';
  let input: AdvertisementInput;

  const safely = (what: string, f: () => void) => () => {
    try { f(); } catch (e) { log.warn({ err: e }, `${what} failed`); }
  };
  const sendCdp = (power?: PowerReply) => {
    if (!cdpSock) return;
    cdpSock.send(encodeCdpFrame(buildCdp(input, link.cdp.holdtimeSeconds, power), input.mac));
    frames.inc({ protocol: 'cdp', direction: 'out' });
  };
  const sendLldp = () => {
    if (!lldpSock) return;
    lldpSock.send(encodeLldpFrame(buildLldp(input, link.lldp.ttlSeconds), input.mac));
    frames.inc({ protocol: 'lldp', direction: 'out' });
  };
  const fastStart = new FastStart(safely('LLDP fast start', sendLldp));

  /** Answers a CDP power request with the phone's own ids: the grant, or what is left when refused. */
  const replyPower = (a: PowerAllocation, now: number) => {
    const { requestId, managementId } = a.request;
    if (a.request.source !== 'cdp' || requestId === undefined || managementId === undefined) return;
    const availableMw = a.state === 'granted' ? a.grantedMw : a.availableMw;
    const last = lastReply.get(a.mac);
    if (last && last.requestId === requestId && last.availableMw === availableMw && now - last.at < REPLY_HOLDOFF_MS) return;
    lastReply.set(a.mac, { requestId, availableMw, at: now });
    safely('CDP Power Available', () => sendCdp({ requestId, managementId, availableMw }))();
  };

  const recordPower = (n: Neighbour, a: PowerAllocation) => {
    if (a.state === 'refused') refusals.inc();
    powerUsed.set(budget.usedMw());
    const id = neighbourIdentity(n);
    if (id.isPhone) inventory.record({ mac: n.mac }, 'power', a.state === 'granted' ? 'ok' : 'fail', powerJourneyDetail(a));
    if (a.state === 'refused') log.warn({ mac: n.mac, deviceName: id.deviceName, reason: a.reason }, 'PoE request refused');
  };

  /** Decides the neighbour's current request (if any); records the decision when it changed. */
  const decidePower = (n: Neighbour, now: number): PowerAllocation | undefined => {
    const request = neighbourPowerRequest(n);
    if (!request) return undefined;
    const { allocation, changed } = budget.request(n.mac, request, now);
    if (changed) recordPower(n, allocation);
    return allocation;
  };

  /** Power freed by a departed phone goes to phones refused earlier, in MAC order; CDP phones are told at once. */
  const reconsiderRefused = (now: number) => {
    for (const a of budget.snapshot().allocations) {
      if (a.state !== 'refused') continue;
      const n = table.get(a.mac);
      const granted = n && decidePower(n, now);
      if (granted?.state === 'granted') replyPower(granted, now);
    }
  };

  const afterHeard = (protocol: LinkProtocol, r: HeardResult, now: number) => {
    const n = r.neighbour;
    const id = neighbourIdentity(r.before ?? n);
    if (r.left) {
      if (id.isPhone) inventory.record({ mac: n.mac }, 'link', 'info', `${protocol.toUpperCase()}: neighbour left the port (TTL 0)`);
      if (!n.cdp && !n.lldp) forget(n, now);
      else decidePower(n, now); // what the other protocol asks for now stands
      return;
    }
    if (r.changed) {
      if (id.isPhone) inventory.record({ mac: n.mac }, 'link', 'ok', linkJourneyDetail(protocol, n), { model: id.model, firmware: id.firmware });
      else if (r.isNew) log.info({ mac: n.mac, protocol, capabilities: id.capabilities }, 'new neighbour (not a phone)');
    }
    neighboursGauge.set(table.size);
  };

  const forget = (n: Neighbour, now: number) => {
    lastReply.delete(n.mac);
    if (budget.release(n.mac)) {
      powerUsed.set(budget.usedMw());
      reconsiderRefused(now);
    }
    neighboursGauge.set(table.size);
  };

  const onCdp = (frame: Buffer) => {
    const decoded = decodeCdpFrame(frame);
    if (!decoded.ok) { malformed.inc({ protocol: 'cdp' }); return; }
    const mac = normalizeMac(decoded.value.src);
    if (!mac || mac === ownMac) return;
    frames.inc({ protocol: 'cdp', direction: 'in' });
    const now = Date.now();
    const r = table.heardCdp(mac, cdpFacts(cdpSummary(decoded.value.pdu)), now);
    if (r === 'full') { dropped.inc({ protocol: 'cdp' }); return; }
    if (!r) return;
    afterHeard('cdp', r, now);
    if (r.left) return;
    const a = decidePower(r.neighbour, now);
    if (a && r.neighbour.cdp?.facts.powerRequested) replyPower(a, now);
  };

  const onLldp = (frame: Buffer) => {
    const decoded = decodeLldpFrame(frame);
    if (!decoded.ok) { malformed.inc({ protocol: 'lldp' }); return; }
    const mac = normalizeMac(decoded.value.src);
    if (!mac || mac === ownMac) return;
    frames.inc({ protocol: 'lldp', direction: 'in' });
    const now = Date.now();
    const facts = lldpFacts(lldpSummary(decoded.value.pdu));
    const wasEndpoint = isMedEndpoint(table.get(mac)?.lldp?.facts);
    const r = table.heardLldp(mac, facts, now);
    if (r === 'full') { dropped.inc({ protocol: 'lldp' }); return; }
    if (!r) return;
    afterHeard('lldp', r, now);
    if (r.left) return;
    // A phone may speak plain LLDP until it hears LLDP-MED from the switch: fast start when it turns MED.
    if (!wasEndpoint && isMedEndpoint(facts) && link.lldp.enabled) fastStart.trigger();
    decidePower(r.neighbour, now);
  };

  const sweep = () => {
    const now = Date.now();
    for (const e of table.expire(now)) {
      const n = e.neighbour;
      if (neighbourIdentity(e.before).isPhone) {
        inventory.record({ mac: n.mac }, 'link', 'info', `${e.protocol.toUpperCase()} hold time expired${e.gone ? '; neighbour forgotten' : ''}`);
      }
      if (e.gone) forget(n, now);
      else decidePower(n, now);
    }
  };

  const views = {
    neighbors: () => table.list().map((n) => neighbourView(n, iface, budget.get(n.mac), Date.now())),
    power: (): PowerView => {
      const { allocations, ...totals } = budget.snapshot();
      return {
        ...totals, localInterface: iface,
        phones: allocations.map((a) => {
          const n = table.get(a.mac);
          const id = n ? neighbourIdentity(n) : undefined;
          return { ...powerAllocationView(a), deviceName: id?.deviceName, model: id?.model };
        }),
      };
    },
  };

  return {
    views,
    async start() {
      for (const m of ownMetrics) metrics.registerMetric(m);
      cdpSock = RawSocket.open({ interface: iface, protocol: ETH_P_ALL, filter: cdpFilter(), multicast: [CDP_MULTICAST] });
      lldpSock = RawSocket.open({ interface: iface, protocol: ETH_P_LLDP, filter: lldpFilter(), multicast: [LLDP_MULTICAST] });
      ownMac = normalizeMac(cdpSock.mac) ?? '';
      input = {
        systemName: link.systemName, interfaceName: iface, mac: cdpSock.mac, address: config.lan.address, voice: config.voice,
        signaling: { cos: link.lldp.signalingCos, dscp: link.lldp.signalingDscp },
        trustBitmap: link.cdp.trustBitmap, untrustedCos: link.cdp.untrustedCos, portLimitMw: link.power.portBudgetMw,
      };
      // A bug here must cost one frame, never the daemon: frames come from anyone on the LAN.
      cdpSock.on('frame', (f: Buffer) => safely('CDP frame', () => onCdp(f))());
      lldpSock.on('frame', (f: Buffer) => safely('LLDP frame', () => onLldp(f))());
      if (link.cdp.enabled) {
        safely('CDP advertisement', () => sendCdp())();
        timers.push(setInterval(safely('CDP advertisement', () => sendCdp()), link.cdp.intervalSeconds * 1000));
      }
      if (link.lldp.enabled) {
        safely('LLDP advertisement', sendLldp)();
        timers.push(setInterval(safely('LLDP advertisement', sendLldp), link.lldp.intervalSeconds * 1000));
      }
      timers.push(setInterval(safely('neighbour expiry', sweep), EXPIRY_SWEEP_MS));
      log.info({ interface: iface, mac: input.mac, portLimitMw: budget.portLimitMw, totalBudgetMw: budget.totalMw }, 'advertising CDP and LLDP-MED');
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      fastStart.stop();
      if (cdpSock && link.cdp.enabled) safely('CDP shutdown', () => cdpSock!.send(encodeCdpFrame(buildCdpShutdown(input), input.mac)))();
      if (lldpSock && link.lldp.enabled) safely('LLDP shutdown', () => lldpSock!.send(encodeLldpFrame(buildLldpShutdown(input), input.mac)))();
      cdpSock?.close();
      lldpSock?.close();
      for (const name of metricNames) metrics.removeSingleMetric(name);
    },
  };
}

export const linkPlane: PlaneModule = { name: 'link', create: createLinkPlane };
