// Replays the phone side of two real registrations (a CP-7970 to CUCM, a CP-7962 to CME) against
// Outpost's survival call agent: each request gets the reply CUCM/CME gave, and tshark reads
// everything Outpost sent without a malformed packet or an expert warning.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type KnownMessage } from '../../../src/sccp/codec.js';
import { LocalStation, type StationConfig } from '../../../src/sccp/station.js';
import { capturedMessages, tsharkSkinny, tsharkSkinnyProblems } from './fixtures.js';
import { writeConversation, type Segment } from './tcp-pcap.js';

export const STATION_CONFIG: StationConfig = {
  keepAliveSeconds: 30, secondaryKeepAliveSeconds: 60, dateTemplate: 'M/D/Y', maxProtocolVersion: 20,
  prompt: 'CM Fallback Service Operating', serverName: 'Outpost',
};

/** What a call manager answers to each station request (CUCM and CME agree on these). */
const ANSWERS: Record<string, string[]> = {
  RegisterReq: ['RegisterAck', 'CapabilitiesReq'], ButtonTemplateReq: ['ButtonTemplateRes'], SoftKeyTemplateReq: ['SoftKeyTemplateRes'],
  SoftKeySetReq: ['SoftKeySetRes'], ConfigStatReq: ['ConfigStatV2Res'], LineStatReq: ['LineStatV2Res'], ForwardStatReq: ['ForwardStatRes'],
  SpeedDialStatReq: ['SpeedDialStatV2Res'], TimeDateReq: ['TimeDateRes'], KeepAliveReq: ['KeepAliveAck'],
};
const ANSWER_NAMES = new Set(Object.values(ANSWERS).flat());

const dir = mkdtempSync(join(tmpdir(), 'outpost-sccp-replay-'));
afterAll(() => { if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

const names = (msgs: { name: string }[]) => msgs.map((m) => m.name);
const count = (list: string[]) => list.reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});

describe.each([
  ['sccp_cp7970_register_to_cucm.pcapng', 'SEP002155D548AC', 20],
  ['sccp_cp7962_register_to_cme_isr4451.pcapng', 'SEP108CCFE0EC1A', 20],
])('replaying %s against Outpost in survival', (file, deviceName, version) => {
  const messages = capturedMessages(file).map((m) => ({ fromPhone: m.dstPort === 2000, raw: m.message, decoded: decodeMessage(m.message) }));
  const segments: Segment[] = [];
  const replies: { request: string; answers: KnownMessage[] }[] = [];
  let sent: KnownMessage[] = [];
  const station = new LocalStation(STATION_CONFIG, (m) => sent.push(m), () => ['1001', '1002', '1003']);
  for (const m of messages.filter((x) => x.fromPhone)) {
    if (!m.decoded.ok) continue;
    sent = [];
    station.handle(m.decoded.value);
    replies.push({ request: m.decoded.value.name, answers: sent });
    segments.push({ fromPhone: true, payload: m.raw });
    for (const a of sent) segments.push({ fromPhone: false, payload: encodeMessage(a) });
  }
  const pcap = join(dir, file.replace('.pcapng', '-outpost.pcap'));
  writeConversation(pcap, segments);

  it('registers the device with a negotiated version no higher than the phone\'s', () => {
    expect(station.facts).toMatchObject({ deviceName, negotiatedVersion: version, lines: ['1001', '1002', '1003'] });
    const ack = replies.find((r) => r.request === 'RegisterReq')!.answers[0];
    expect(ack).toMatchObject({ name: 'RegisterAck', version: 0, fields: { keepAliveInterval: 30, dateTemplate: 'M/D/Y', maxProtocolVer: version } });
  });

  it('answers each request with the message ids the call manager answered with', () => {
    for (const { request, answers } of replies) {
      if (ANSWERS[request]) expect(names(answers).filter((n) => ANSWER_NAMES.has(n)), request).toEqual(ANSWERS[request]);
    }
    const theirs = messages.filter((m) => !m.fromPhone && m.decoded.ok && ANSWER_NAMES.has(m.decoded.value.name)).map((m) => (m.decoded.ok ? m.decoded.value.name : ''));
    const ours = replies.flatMap((r) => names(r.answers)).filter((n) => ANSWER_NAMES.has(n));
    expect(count(ours)).toEqual(count(theirs));
  });

  it('gives each line its directory number and shows the fallback prompt', () => {
    const lines = replies.filter((r) => r.request === 'LineStatReq').flatMap((r) => r.answers);
    expect(lines.map((l) => l.fields)).toEqual(expect.arrayContaining([expect.objectContaining({ lineNumber: 1, lineDirNumber: '1001' })]));
    const prompts = replies.flatMap((r) => r.answers).filter((a) => a.name === 'DisplayPromptStatusV2');
    expect(prompts.map((p) => p.fields)).toEqual([expect.objectContaining({ promptStatus: 'CM Fallback Service Operating' })]);
  });

  it('is read by tshark without malformed packets or warnings, with the same ids Outpost sent', () => {
    expect(tsharkSkinnyProblems(pcap)).toEqual([]);
    const fromOutpost = tsharkSkinny(pcap, ['skinny.messageId'], 'skinny && tcp.srcport == 2000').flatMap((t) => t.values['skinny.messageId'].map(Number));
    expect(fromOutpost).toEqual(replies.flatMap((r) => r.answers.map((a) => a.id)));
  });
});
