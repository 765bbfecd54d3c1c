// Golden tests: every SCCP message in the real captures is cut out of the TCP stream where tshark
// finds it (same frame, id and length), decodes, and its key fields equal what tshark's `skinny`
// dissector reads; the registration set re-encodes to the very same bytes.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type SccpMessage } from '../../../src/sccp/codec.js';
import { capturedMessages, fixturePath, sccpFixtureFiles, tsharkSkinny } from './fixtures.js';

/** tshark field -> Outpost field (same name when omitted). */
const COMPARED: [string, string?][] = [
  ['skinny.DeviceName', 'deviceName'], ['skinny.stationIpAddr', 'stationIpAddr'], ['skinny.deviceType', 'deviceType'],
  ['skinny.protocolVer', 'protocolVersion'], ['skinny.maxStreams'], ['skinny.firmwareLoadName'], ['skinny.maxNumberOfLines'],
  ['skinny.keepAliveInterval'], ['skinny.secondaryKeepAliveInterval'], ['skinny.dateTemplate'], ['skinny.maxProtocolVer'],
  ['skinny.rtpMediaPort'], ['skinny.lineNumber'], ['skinny.speedDialNumber'], ['skinny.maxNumOfAvailLines'], ['skinny.capCount'],
  ['skinny.payloadCapability'], ['skinny.maxFramesPerPacket'],
  ['skinny.buttonCount'], ['skinny.totalButtonCount'], ['skinny.softKeyCount'], ['skinny.softKeySetCount'], ['skinny.softKeyLabel'],
  ['skinny.numberOfLines'], ['skinny.numberOfSpeedDials'], ['skinny.lineDirNumber'], ['skinny.lineTextLabel'],
  ['skinny.wYear'], ['skinny.wMonth'], ['skinny.wDay'], ['skinny.wHour'], ['skinny.wMinute'], ['skinny.wSecond'], ['skinny.systemTime'],
  ['skinny.timeOutValue'], ['skinny.callState'], ['skinny.lineInstance'], ['skinny.callReference'], ['skinny.kpButton'],
  ['skinny.softKeyEvent'], ['skinny.tone'], ['skinny.ringMode'], ['skinny.lampMode'], ['skinny.stimulus'], ['skinny.speakerMode'],
  ['skinny.softKeySetIndex'], ['skinny.conferenceId'], ['skinny.passThroughPartyId'], ['skinny.milliSecondPacketSize'],
  ['skinny.compressionType'], ['skinny.remoteIpAddr.ipv4', 'remoteIpAddr'], ['skinny.remotePortNumber'],
  ['skinny.ipAddr.ipv4', 'ipAddr'], ['skinny.portNumber'], ['skinny.sourceIpAddr.ipv4', 'sourceIpAddr'], ['skinny.sourcePortNumber'],
  ['skinny.transmitIpAddr.ipv4', 'transmitIpAddr'], ['skinny.mediaReceptionStatus'], ['skinny.callingParty'], ['skinny.calledParty'],
  ['skinny.callType'], ['skinny.activeForward'], ['skinny.forwardAllActive'], ['skinny.alarmSeverity'], ['skinny.priority'],
];

/** Captures whose station side is real equipment (the pyskinny one is an emulator tshark flags as malformed). */
const REAL = sccpFixtureFiles().filter((f) => !f.includes('pyskinny'));
const REGISTRATION_SET = new Set(['RegisterReq', 'RegisterAck', 'CapabilitiesReq', 'CapabilitiesRes', 'IpPort', 'ButtonTemplateReq', 'ButtonTemplateRes',
  'SoftKeyTemplateReq', 'SoftKeyTemplateRes', 'SoftKeySetReq', 'SoftKeySetRes', 'ConfigStatReq', 'ConfigStatV2Res', 'LineStatReq', 'LineStatV2Res',
  'ForwardStatReq', 'ForwardStatRes', 'SpeedDialStatReq', 'SpeedDialStatV2Res', 'TimeDateReq', 'TimeDateRes', 'RegisterAvailableLines',
  'KeepAliveReq', 'KeepAliveAck', 'EnhancedAlarm', 'DisplayPromptStatusV2', 'SelectSoftKeys', 'CallState', 'SetLamp', 'ClearPriNotify', 'ClearNotify']);

/** As tshark prints a value: empty strings absent, bytes outside ASCII a replacement character, C escapes. */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  const escapes: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f' };
  if (typeof v === 'string' && v !== '') return v.replace(/[\u0080-\u00ff]/g, '\ufffd').replace(/[\b\t\n\r\f]/g, (c) => escapes[c]);
  return undefined;
}

/** The values of one Outpost field across a frame's messages, nested lists included, in wire order. */
function valuesIn(msgs: SccpMessage[], field: string): string[] {
  const out: string[] = [];
  for (const m of msgs) {
    if (m.kind !== 'known') continue;
    for (const [k, v] of Object.entries(m.fields)) {
      if (k === field && scalar(v) !== undefined) out.push(scalar(v)!);
      if (!Array.isArray(v)) continue;
      for (const e of v as Record<string, unknown>[]) if (scalar(e[field]) !== undefined) out.push(scalar(e[field])!);
    }
  }
  return out;
}

function normalize(tsharkField: string, v: string): string {
  // tshark prints hex-based fields as 0x...; Outpost's are numbers.
  return /^0x[0-9a-f]+$/i.test(v) ? String(parseInt(v, 16)) : v;
}

describe('SCCP golden captures', () => {
  for (const file of sccpFixtureFiles()) {
    it(`${file}: every message is framed where tshark finds it, with the same id and length, and decodes`, () => {
      const mine = capturedMessages(file);
      const ts = tsharkSkinny(fixturePath(file), ['skinny.messageId', 'skinny.data_length']);
      expect(mine.map((m) => [m.frame, m.message.readUInt32LE(8), m.message.readUInt32LE(0)]))
        .toEqual(ts.flatMap((t) => t.values['skinny.messageId'].map((id, i) => [t.frame, Number(id), Number(t.values['skinny.data_length'][i])])));
      for (const m of mine) expect(decodeMessage(m.message).ok, `frame ${m.frame}`).toBe(true);
    });
  }

  for (const file of REAL) {
    it(`${file}: key fields equal tshark's`, () => {
      const byFrame = new Map<number, SccpMessage[]>();
      for (const m of capturedMessages(file)) {
        const d = decodeMessage(m.message);
        if (d.ok) byFrame.set(m.frame, [...(byFrame.get(m.frame) ?? []), d.value]);
      }
      const ts = tsharkSkinny(fixturePath(file), COMPARED.map(([t]) => t));
      let compared = 0;
      for (const { frame, values } of ts) {
        const msgs = byFrame.get(frame) ?? [];
        if (msgs.some((m) => m.kind === 'raw')) continue; // tshark reads fields of messages Outpost only relays
        for (const [tf, mine] of COMPARED) {
          const expected = values[tf].map((v) => normalize(tf, v));
          const got = valuesIn(msgs, mine ?? tf.replace('skinny.', ''));
          expect(got, `frame ${frame} ${tf}`).toEqual(expected);
          compared += expected.length;
        }
      }
      expect(compared).toBeGreaterThan(0);
    });
  }

  it('re-encodes the registration set of the real phone captures to the same bytes', () => {
    let count = 0;
    for (const file of ['sccp_cp7970_register_to_cucm.pcapng', 'sccp_cp7962_register_to_cme_isr4451.pcapng']) {
      for (const m of capturedMessages(file)) {
        const d = decodeMessage(m.message);
        if (!d.ok || !REGISTRATION_SET.has(d.value.name)) continue;
        expect(encodeMessage(d.value).toString('hex'), `${file} frame ${m.frame} ${d.value.name}`).toBe(m.message.toString('hex'));
        count++;
      }
    }
    expect(count).toBeGreaterThan(100);
  });

  // IOS and the pyskinny call manager leave stack garbage after the NUL of fixed text fields (Outpost
  // sends zeros there), so the exact round trip is checked on the CUCM and CME captures.
  it('re-encodes every message of the CUCM and CME captures to the same bytes', () => {
    for (const file of REAL.filter((f) => !f.includes('_ios_'))) {
      for (const m of capturedMessages(file)) {
        const d = decodeMessage(m.message);
        if (d.ok) expect(encodeMessage(d.value).toString('hex'), `${file} frame ${m.frame} ${d.value.name}`).toBe(m.message.toString('hex'));
      }
    }
  });
});
