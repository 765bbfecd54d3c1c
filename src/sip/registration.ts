// A phone's REGISTER: relayed to CUCM with a Path through Outpost while the WAN is up (and the
// binding CUCM grants mirrored locally), answered by Outpost's registrar in survival, and
// Cisco keep-alives to a backup registrar always answered here. Also replays mirrored
// REGISTERs upstream when phones are handed back to CUCM.
import type { Inventory, Registration } from '../core/inventory.js';
import type { SipRequest, SipResponse } from './message.js';
import { decodeSip, encodeSip, getHeader, setHeader, addHeader } from './message.js';
import { formatSipUri, parseSipUri } from './headers.js';
import { ciscoRegistration, type CiscoRegistration } from './cisco.js';
import { addressOfRecord, grantedExpires, registerLocally } from './registrar.js';
import type { BindingStore, SipBinding } from './bindings.js';
import { flowToken, ownRouteValue, type OwnAddresses } from './route.js';
import type { SipProxy } from './proxy.js';
import type { ServerTransaction, TransactionLayer } from './transaction.js';
import type { Peer } from './transport.js';
import { newBranch } from './relay.js';

export interface RegistrationOptions {
  proxy: () => SipProxy;
  layer: TransactionLayer;
  bindings: BindingStore;
  inventory: Inventory;
  own: () => OwnAddresses;
  upstream(): Peer;
  survival(): boolean;
  localExpiresSeconds: number;
  /** `served_by` is upstream or local; `result` the status code. */
  count(servedBy: 'upstream' | 'local', result: string): void;
}

export class Registrations {
  constructor(private readonly o: RegistrationOptions) {}

  onRegister(tx: ServerTransaction, req: SipRequest, phone: Peer): void {
    const reg = ciscoRegistration(req);
    const info = reg.ok ? reg.value : undefined;
    if (info?.keepAlive) return this.answerLocally(tx, phone, info, 'keep-alive');
    if (this.o.survival()) return this.answerLocally(tx, phone, info, 'WAN down');
    this.relay(tx, req, phone, info);
  }

  private relay(tx: ServerTransaction, req: SipRequest, phone: Peer, info: CiscoRegistration | undefined): void {
    const member = this.o.upstream();
    const uri = parseSipUri(req.uri);
    const out = uri.ok ? { ...req, uri: formatSipUri({ ...uri.value, user: undefined, host: member.address, port: member.port, params: [] }) } : req;
    const own = this.o.own();
    this.o.proxy().forward(tx, out, phone, member, {
      path: ownRouteValue(own.wan, own.port, phone),
      onFinal: (res) => this.mirror(req, res, phone, member, info),
      // CUCM silent or unreachable: the phone keeps service from Outpost meanwhile.
      onFailure: () => this.answerLocally(tx, phone, info, 'CUCM did not answer'),
    });
  }

  /** A REGISTER CUCM never answered is answered here the moment the WAN monitor says so. */
  answerPendingLocally(): void {
    for (const tx of this.o.layer.openServerTransactions()) {
      if (tx.request.method !== 'REGISTER') continue;
      tx.branch?.terminate();
      const reg = ciscoRegistration(tx.request);
      this.answerLocally(tx, tx.source, reg.ok ? reg.value : undefined, 'WAN down while relaying');
    }
  }

  private answerLocally(tx: ServerTransaction, phone: Peer, info: CiscoRegistration | undefined, why: string): void {
    const req = tx.request;
    const outcome = registerLocally(req, {
      maxExpires: this.o.localExpiresSeconds, source: `${phone.address}:${phone.port}`, deviceName: info?.deviceName,
      keepAlive: info?.keepAlive ?? false, transport: phone.transport, flow: flowToken(phone), register: ownCopy(req.received ?? encodeSip(req)),
      contacts: info,
    });
    for (const b of outcome.save) this.o.bindings.save(b);
    for (const r of outcome.remove) this.o.bindings.delete(r.aor, r.contact);
    tx.respond(outcome.response);
    // Answered like Kamailio's registrar, without keeping the transaction: a retransmitted
    // REGISTER is simply registered again, which gives the same answer.
    tx.terminate();
    this.o.count('local', String(outcome.response.status));
    if (info?.keepAlive) return;
    const saved = outcome.save[0];
    this.record(info, phone, outcome.response.status === 200 ? 'ok' : 'fail', `REGISTER ${outcome.response.status} from Outpost (${why})`,
      saved && { protocol: 'sip', servedBy: 'local', contact: saved.contact, expiresAt: saved.expiresAt });
  }

  private mirror(req: SipRequest, res: SipResponse, phone: Peer, member: Peer, info: CiscoRegistration | undefined): void {
    this.o.count('upstream', String(res.status));
    if (res.status >= 300) {
      this.record(info, phone, res.status === 401 || res.status === 407 ? 'info' : 'fail', `REGISTER ${res.status} from CUCM ${member.address}`);
      return;
    }
    const binding = this.bindingFromUpstream(req, res, phone, info);
    if (!binding) return;
    if (binding === 'removed') {
      this.record(info, phone, 'info', `unregistered at CUCM ${member.address}`);
      return;
    }
    this.o.bindings.save(binding);
    this.record(info, phone, 'ok', `REGISTER 200 from CUCM ${member.address}`, { protocol: 'sip', servedBy: 'upstream', contact: binding.contact, expiresAt: binding.expiresAt });
  }

  private bindingFromUpstream(req: SipRequest, res: SipResponse, phone: Peer, info: CiscoRegistration | undefined): SipBinding | 'removed' | undefined {
    const to = getHeader(req, 'to');
    const aor = to ? addressOfRecord(to) : undefined;
    if (!aor || !info?.contactUri) return undefined;
    const expires = grantedExpires(res, info.contactUri) ?? info.expires ?? 3600;
    if (expires === 0) {
      this.o.bindings.delete(aor, info.contactUri);
      return 'removed';
    }
    return {
      protocol: 'sip', aor, contact: info.contactUri, deviceName: info.deviceName, dn: info.dn, callId: getHeader(req, 'call-id') ?? '',
      cseq: Number((getHeader(req, 'cseq') ?? '0').split(/\s/)[0]) || 0, expiresAt: new Date(Date.now() + expires * 1000).toISOString(),
      servedBy: 'upstream', source: `${phone.address}:${phone.port}`, transport: phone.transport, flow: flowToken(phone),
      register: ownCopy(req.received ?? encodeSip(req)),
    };
  }

  /**
   * Hands one locally served binding back to CUCM: the phone's last REGISTER, which Outpost
   * answered and CUCM never saw, replayed with its own Call-ID and CSeq (higher than anything
   * CUCM stored, lower than the phone's next, so RFC 3261 §10.3 accepts both) and Outpost's
   * Path, as Outpost's own transaction. Resolves to CUCM's status, or undefined when CUCM did
   * not answer.
   */
  rehome(b: SipBinding): Promise<number | undefined> {
    const decoded = b.register ? decodeSip(b.register) : undefined;
    if (!decoded?.ok || decoded.value.kind !== 'request') return Promise.resolve(undefined);
    const member = this.o.upstream();
    const own = this.o.own();
    const phone: Peer = { transport: b.transport, address: b.source.split(':')[0], port: Number(b.source.split(':')[1]) };
    const flowPeer = { ...phone };
    const token = /^opt_([0-9a-z]+)_/.exec(b.flow)?.[1];
    if (token) flowPeer.flow = token;
    const uri = parseSipUri(decoded.value.uri);
    let req: SipRequest = uri.ok ? { ...decoded.value, uri: formatSipUri({ ...uri.value, user: undefined, host: member.address, port: member.port, params: [] }) } : decoded.value;
    req = setHeader(req, 'Max-Forwards', '70');
    req = addHeader(req, 'Path', ownRouteValue(own.wan, own.port, flowPeer), 'first');
    req = addHeader(req, 'Via', `SIP/2.0/${member.transport.toUpperCase()} ${own.wan}:${own.port};branch=${newBranch()};rport`, 'first');
    const info = ciscoRegistration(req);
    return new Promise((resolve) => {
      const client = this.o.layer.request(req, member, {
        onResponse: (res) => {
          if (res.status < 200) return;
          this.o.count('upstream', String(res.status));
          if (res.status < 300) {
            const binding = this.bindingFromUpstream(decoded.value as SipRequest, res, flowPeer, info.ok ? info.value : undefined);
            if (binding && binding !== 'removed') {
              this.o.bindings.save(binding);
              this.record(info.ok ? info.value : undefined, flowPeer, 'ok', `handed back to CUCM ${member.address} (REGISTER 200)`,
                { protocol: 'sip', servedBy: 'upstream', contact: binding.contact, expiresAt: binding.expiresAt });
            }
          } else {
            // The local binding stays; the phone's own next REGISTER goes to CUCM and answers any challenge.
            this.record(info.ok ? info.value : undefined, flowPeer, 'info', `hand-back REGISTER got ${res.status} from CUCM ${member.address}; the phone's next REGISTER will go there`);
          }
          resolve(res.status);
        },
        onTimeout: () => resolve(undefined),
      });
      if (!client) resolve(undefined);
    });
  }

  private record(info: CiscoRegistration | undefined, phone: Peer, outcome: 'ok' | 'fail' | 'info', detail: string, registration?: Registration): void {
    const key = info?.deviceName ? { deviceName: info.deviceName } : { ip: phone.address };
    let text = detail;
    if (info?.alarm) {
      const a = info.alarm;
      text += `; phone reports alarm ${a.alarm}${a.lastReason ? ` last=${a.lastReason}` : ''}${a.activeLoad ? ` load=${a.activeLoad}` : ''}${a.inactiveLoad ? ` inactive=${a.inactiveLoad}` : ''}`;
    }
    this.o.inventory.record(key, 'register', outcome, text, {
      ip: phone.address, dn: info?.dn, model: info?.model ?? info?.modelName, firmware: info?.firmware, protocol: 'sip', registration,
    });
  }
}

/**
 * A buffer of its own: a slice of a TCP read or of Node's shared pool would pin the whole slab
 * for as long as the binding lives. A UDP datagram already owns exactly its memory.
 */
function ownCopy(bytes: Buffer): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const out = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(out);
  return out;
}
