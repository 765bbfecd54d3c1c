// The proxy core against every real message in the fixtures and mutations of them, from the
// phones' side and from CUCM's, online and in survival: it answers or forwards, never throws.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeSip, getHeader, type SipMessage, type SipRequest, type SipResponse } from '../../../src/sip/message.js';
import { SipProxy, type ProxyOptions } from '../../../src/sip/proxy.js';
import { TransactionLayer } from '../../../src/sip/transaction.js';
import { BindingStore, SIP_MIGRATIONS } from '../../../src/sip/bindings.js';
import { openDatabase } from '../../../src/store/database.js';
import type { Peer, SipTransport } from '../../../src/sip/transport.js';
import { allFixtureMessages, prng } from './fixtures.js';

const phone: Peer = { transport: 'udp', address: '10.20.0.101', port: 5060 };
const cucm: Peer = { transport: 'udp', address: '10.30.0.1', port: 5060 };

describe('SIP proxy core', () => {
  let sent: { msg: SipMessage; to: Peer }[];
  let survival: boolean;
  let proxy: SipProxy;
  let options: ProxyOptions;
  let layer: TransactionLayer;
  let bindings: BindingStore;
  const registers: SipRequest[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    survival = false;
    bindings = new BindingStore(openDatabase(mkdtempSync(join(tmpdir(), 'outpost-proxy-')), SIP_MIGRATIONS));
    const send = async (msg: SipMessage, to: Peer) => { sent.push({ msg, to }); return true; };
    layer = new TransactionLayer(send);
    const transport = { send, flowPeer: () => undefined } as unknown as SipTransport;
    options = {
      own: () => ({ lan: '10.20.0.1', wan: '10.30.0.2', port: 5060 }), transport, layer, bindings, log: pino({ level: 'silent' }),
      isUpstream: (a) => a === '10.30.0.1', isLan: (a) => a.startsWith('10.20.0.'), upstream: () => cucm, survival: () => survival,
      maxTransactions: 1000, onRegister: (tx, req) => { registers.push(req); tx.terminate(); },
      onCall: () => undefined, count: { transaction: () => undefined, dropped: () => undefined },
    };
    proxy = new SipProxy(options);
  });
  afterEach(() => {
    layer.stop();
    vi.useRealTimers();
  });

  const invite = (): SipRequest => {
    const m = decodeSip(Buffer.from([
      'INVITE sip:2002@10.20.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 10.20.0.101:5060;branch=z9hG4bKinv1', 'From: <sip:2001@10.20.0.1>;tag=a',
      'To: <sip:2002@10.20.0.1>', 'Call-ID: call1', 'CSeq: 1 INVITE', 'Contact: <sip:2001@10.20.0.101:5060>', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
    ].join('\r\n')));
    return m.ok ? (m.value as SipRequest) : (undefined as never);
  };

  it('online: answers an INVITE with 100 Trying and relays it to CUCM with Outpost in the route set', () => {
    proxy.onMessage(invite(), phone);
    const trying = sent.find((s) => s.msg.kind === 'response' && s.msg.status === 100);
    expect(trying?.to).toEqual(phone);
    const relayed = sent.find((s) => s.msg.kind === 'request');
    expect(relayed?.to).toEqual(cucm);
    const req = relayed!.msg as SipRequest;
    expect(req.uri).toBe('sip:2002@10.30.0.1:5060');
    expect(getHeader(req, 'via')).toMatch(/^SIP\/2\.0\/UDP 10\.30\.0\.2:5060;branch=z9hG4bKop/);
    expect(getHeader(req, 'record-route')).toMatch(/^<sip:opu__10\.30\.0\.1_5060@10\.30\.0\.2:5060;lr>$/);
    expect(getHeader(req, 'max-forwards')).toBe('69');
  });

  it('relays CUCM\'s responses back to the phone without Outpost\'s Via, and absorbs the phone\'s retransmission', () => {
    proxy.onMessage(invite(), phone);
    const relayed = sent.find((s) => s.msg.kind === 'request')!.msg as SipRequest;
    const ringing: SipResponse = { kind: 'response', version: 'SIP/2.0', status: 180, reason: 'Ringing', headers: relayed.headers.filter((h) => h.name !== 'Route'), body: Buffer.alloc(0) };
    sent = [];
    proxy.onMessage(ringing, cucm);
    expect(sent).toHaveLength(1);
    expect(sent[0].to).toEqual(phone);
    expect(getHeader(sent[0].msg, 'via')).toContain('branch=z9hG4bKinv1');
    sent = [];
    proxy.onMessage(invite(), phone);
    expect(sent.map((s) => (s.msg as SipResponse).status)).toEqual([180]);
  });

  it('survival: an INVITE to an unknown number gets 503 with a Warning, never reaching CUCM', () => {
    survival = true;
    proxy.onMessage(invite(), phone);
    expect(sent.some((s) => s.to.address === cucm.address)).toBe(false);
    const final = sent.find((s) => s.msg.kind === 'response' && s.msg.status >= 200)!.msg;
    expect(final.kind === 'response' && final.status).toBe(503);
    expect(getHeader(final, 'warning')).toMatch(/^399 outpost "/);
  });

  it('survival: an INVITE to an outside number is retargeted to the branch gateway, Outpost staying in the route set', () => {
    survival = true;
    const gateway: Peer = { transport: 'udp', address: '10.20.0.233', port: 5070 };
    proxy = new SipProxy({ ...options, gateway });
    const m = decodeSip(Buffer.from(invite().headers.map((h) => `${h.name}: ${h.value}`).join('\r\n').replace(/^/, 'INVITE sip:5550100@10.20.0.1;user=phone SIP/2.0\r\n') + '\r\n\r\n'));
    proxy.onMessage(m.ok ? m.value : (undefined as never), phone);
    const forwarded = sent.find((s) => s.msg.kind === 'request');
    expect(forwarded?.to).toEqual(gateway);
    const req = forwarded!.msg as SipRequest;
    expect(req.uri).toBe('sip:5550100@10.20.0.233:5070;user=phone');
    expect(getHeader(req, 'to')).toBe('<sip:2002@10.20.0.1>');
    expect(getHeader(req, 'record-route')).toMatch(/^<sip:opu__10\.20\.0\.233_5070@10\.20\.0\.1:5060;lr>/);
  });

  it('hands REGISTERs from phones to the registration module', () => {
    const m = decodeSip(Buffer.from('REGISTER sip:10.20.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.20.0.101;branch=z9hG4bKr\r\nTo: <sip:2001@10.20.0.1>\r\nFrom: <sip:2001@10.20.0.1>;tag=1\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\n\r\n'));
    proxy.onMessage(m.ok ? m.value : (undefined as never), phone);
    expect(registers).toHaveLength(1);
  });

  it('never throws on real or mutated messages from either side, online or in survival', () => {
    const rand = prng(6);
    const messages = allFixtureMessages();
    for (let round = 0; round < 400; round++) {
      const base = messages[Math.floor(rand() * messages.length)].bytes;
      const bytes = Buffer.from(base);
      for (let k = 0; k < 3; k++) if (rand() < 0.5) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      const m = decodeSip(bytes);
      if (!m.ok) continue;
      survival = rand() < 0.5;
      const from = rand() < 0.5 ? phone : cucm;
      expect(() => proxy.onMessage(m.value, from)).not.toThrow();
      vi.advanceTimersByTime(Math.floor(rand() * 2000));
    }
  });
});
