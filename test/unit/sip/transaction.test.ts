import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeSip, getHeader, type SipRequest, type SipResponse } from '../../../src/sip/message.js';
import { TransactionLayer, RFC3261_TIMERS } from '../../../src/sip/transaction.js';
import { buildResponse } from '../../../src/sip/response.js';
import type { Peer } from '../../../src/sip/transport.js';

const phone: Peer = { transport: 'udp', address: '10.20.0.101', port: 5060 };
const cucm: Peer = { transport: 'udp', address: '10.30.0.1', port: 5060 };

function request(method: string, branch: string, extra: string[] = []): SipRequest {
  const text = [
    `${method} sip:2002@10.20.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 10.20.0.101:5060;branch=${branch}`,
    'From: <sip:2001@10.20.0.1>;tag=a1',
    'To: <sip:2002@10.20.0.1>',
    'Call-ID: c1@phone',
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    ...extra,
    'Content-Length: 0', '', '',
  ].join('\r\n');
  const m = decodeSip(Buffer.from(text));
  if (!m.ok || m.value.kind !== 'request') throw new Error('bad fixture');
  return m.value;
}

function responseTo(req: SipRequest, status: number): SipResponse {
  return buildResponse(req, status, 'X');
}

describe('SIP transactions', () => {
  let sent: { msg: SipRequest | SipResponse; to: Peer }[];
  let layer: TransactionLayer;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    layer = new TransactionLayer(async (msg, to) => { sent.push({ msg, to }); return true; });
  });
  afterEach(() => {
    layer.stop();
    vi.useRealTimers();
  });

  it('absorbs a retransmitted request and answers it with the last response', () => {
    const req = request('OPTIONS', 'z9hG4bKaaa');
    const first = layer.receiveRequest(req, phone);
    expect(first.kind).toBe('new');
    expect(layer.receiveRequest(req, phone).kind).toBe('absorbed');
    expect(sent).toHaveLength(0);
    if (first.kind === 'new') first.tx.respond(responseTo(req, 200));
    expect(layer.receiveRequest(req, phone).kind).toBe('absorbed');
    expect(sent.map((s) => (s.msg as SipResponse).status)).toEqual([200, 200]);
  });

  it('retransmits a 486 to an INVITE over UDP until the ACK, which it absorbs', () => {
    const invite = request('INVITE', 'z9hG4bKinv');
    const r = layer.receiveRequest(invite, phone);
    if (r.kind !== 'new') throw new Error('expected a new transaction');
    r.tx.respond(responseTo(invite, 486));
    vi.advanceTimersByTime(RFC3261_TIMERS.t1 + 1);
    vi.advanceTimersByTime(2 * RFC3261_TIMERS.t1 + 1);
    expect(sent.filter((s) => (s.msg as SipResponse).status === 486)).toHaveLength(3);
    expect(layer.receiveRequest(request('ACK', 'z9hG4bKinv'), phone).kind).toBe('absorbed');
    vi.advanceTimersByTime(10_000);
    expect(sent.filter((s) => (s.msg as SipResponse).status === 486)).toHaveLength(3);
  });

  it('treats an ACK that matches no transaction as end to end (the ACK of a 2xx)', () => {
    expect(layer.receiveRequest(request('ACK', 'z9hG4bKother'), phone).kind).toBe('ack');
  });

  it('matches a CANCEL to the INVITE server transaction it cancels', () => {
    const invite = request('INVITE', 'z9hG4bKc');
    const r = layer.receiveRequest(invite, phone);
    const c = layer.receiveRequest(request('CANCEL', 'z9hG4bKc'), phone);
    expect(c.kind).toBe('cancel');
    expect(c.kind === 'cancel' && r.kind === 'new' && c.invite === r.tx).toBe(true);
  });

  it('retransmits a non-INVITE request on UDP at T1, 2T1 ... capped at T2, and times out after 64*T1', () => {
    const onTimeout = vi.fn();
    const req = request('REGISTER', 'z9hG4bKopreg');
    layer.request(req, cucm, { onResponse: () => undefined, onTimeout });
    vi.advanceTimersByTime(500 + 1000 + 2000 + 4000 + 4000);
    expect(sent).toHaveLength(6);
    vi.advanceTimersByTime(64 * 500);
    expect(onTimeout).toHaveBeenCalledWith('timeout');
  });

  it('does not retransmit over TCP', () => {
    layer.request(request('OPTIONS', 'z9hG4bKtcp'), { ...cucm, transport: 'tcp' }, { onResponse: () => undefined, onTimeout: () => undefined });
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
  });

  it('passes each final response up once, and ACKs a failed INVITE itself', () => {
    const responses: number[] = [];
    const invite = request('INVITE', 'z9hG4bKopx');
    layer.request(invite, cucm, { onResponse: (res) => responses.push(res.status), onTimeout: () => undefined });
    const ringing = responseTo(invite, 180);
    const busy = responseTo(invite, 486);
    expect(layer.receiveResponse(ringing)).toBe(true);
    expect(layer.receiveResponse(busy)).toBe(true);
    expect(layer.receiveResponse(busy)).toBe(true);
    expect(responses).toEqual([180, 486]);
    const acks = sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK');
    expect(acks).toHaveLength(2);
    expect(getHeader(acks[0].msg, 'cseq')).toBe('1 ACK');
    expect(getHeader(acks[0].msg, 'to')).toMatch(/tag=/);
  });

  it('passes every 2xx to an INVITE up (forwarded end to end)', () => {
    const responses: number[] = [];
    const invite = request('INVITE', 'z9hG4bKopok');
    layer.request(invite, cucm, { onResponse: (res) => responses.push(res.status), onTimeout: () => undefined });
    const ok = responseTo(invite, 200);
    layer.receiveResponse(ok);
    layer.receiveResponse(ok);
    expect(responses).toEqual([200, 200]);
  });

  it('sends CANCEL only after a provisional response, with the INVITE\'s branch and CSeq number', () => {
    const invite = request('INVITE', 'z9hG4bKopcan');
    const tx = layer.request(invite, cucm, { onResponse: () => undefined, onTimeout: () => undefined })!;
    tx.cancel();
    expect(sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'CANCEL')).toHaveLength(0);
    layer.receiveResponse(responseTo(invite, 180));
    const cancels = sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'CANCEL');
    expect(cancels).toHaveLength(1);
    expect(getHeader(cancels[0].msg, 'via')).toContain('branch=z9hG4bKopcan');
    expect(getHeader(cancels[0].msg, 'cseq')).toBe('1 CANCEL');
  });

  it('reports a transport failure at once', async () => {
    const failing = new TransactionLayer(async () => false);
    const onTimeout = vi.fn();
    failing.request(request('REGISTER', 'z9hG4bKopf'), cucm, { onResponse: () => undefined, onTimeout });
    await vi.advanceTimersByTimeAsync(0);
    expect(onTimeout).toHaveBeenCalledWith('transport');
    failing.stop();
  });
});

describe('SIP transaction accounting', () => {
  it('counts server transactions waiting for a final response, whatever ends them', () => {
    const layer = new TransactionLayer(async () => true);
    const phone: Peer = { transport: 'udp', address: '10.20.0.101', port: 5060 };
    const a = layer.receiveRequest(request('INVITE', 'z9hG4bKp1'), phone);
    const b = layer.receiveRequest(request('OPTIONS', 'z9hG4bKp2'), phone);
    const c = layer.receiveRequest(request('REGISTER', 'z9hG4bKp3'), phone);
    expect(layer.counts.pending).toBe(3);
    if (a.kind === 'new') a.tx.respond(responseTo(a.tx.request, 200));
    if (b.kind === 'new') b.tx.respond(responseTo(b.tx.request, 404));
    if (c.kind === 'new') c.tx.terminate();
    expect(layer.counts.pending).toBe(0);
    layer.stop();
  });
});
