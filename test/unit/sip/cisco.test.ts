import { describe, expect, it } from 'vitest';
import { loadFixtureMessages } from './fixtures.js';
import { addHeader, decodeSip, encodeSip, setHeader, type SipMessage } from '../../../src/sip/message.js';
import { ciscoAlarm, ciscoRegistration, macFromInstance, parseCiscoAlarm } from '../../../src/sip/cisco.js';
import { describeSipPayload } from '../../../src/sip/describe.js';

const PHONES = 'sip_cisco_phones_cp8811_cp8841_cp9971_register_503_subset.pcapng';

const decoded = (bytes: Buffer): SipMessage => {
  const r = decodeSip(bytes);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

const registers = () => loadFixtureMessages(PHONES).map((m) => decoded(m.bytes)).filter((m) => m.kind === 'request');

describe('Cisco phone REGISTERs from the capture', () => {
  it('extracts device name, MAC, model, DN and the unregister', () => {
    const regs = registers().map((m) => {
      const r = ciscoRegistration(m);
      if (!r.ok) throw new Error(r.error);
      const { deviceName, mac, model, dn, expires, keepAlive, modelName, firmware } = r.value;
      return { deviceName, mac, model, dn, expires, keepAlive, modelName, firmware };
    });
    expect(regs).toEqual([
      { deviceName: 'SEPF87B204EEEDE', mac: 'F87B204EEEDE', model: '36217', dn: '1034', expires: 0, keepAlive: false, modelName: 'CP8811', firmware: '12.1.1' },
      { deviceName: 'SEP0C75BD110CA4', mac: '0C75BD110CA4', model: '36217', dn: '1024', expires: 0, keepAlive: false, modelName: 'CP8811', firmware: '12.1.1' },
      { deviceName: 'SEP2C31246A214B', mac: '2C31246A214B', model: '683', dn: '1234', expires: 0, keepAlive: false, modelName: 'CP8841', firmware: '12.1.1' },
      { deviceName: 'SEPE8EDF3AA1C0E', mac: 'E8EDF3AA1C0E', model: '493', dn: '1026', expires: 0, keepAlive: false, modelName: 'CP9971', firmware: '9.4.2' },
    ]);
  });

  it('falls back to the +sip.instance MAC when the devicename param is missing', () => {
    const first = registers()[0];
    const contact = '<sip:8f83d778@10.88.247.132:2039;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-f87b204eeede>"';
    const r = ciscoRegistration(setHeader(first, 'Contact', contact));
    expect(r.ok && [r.value.deviceName, r.value.mac, r.value.model]).toEqual(['SEPF87B204EEEDE', 'F87B204EEEDE', undefined]);
    expect(macFromInstance('<urn:uuid:12345678-0000-0000-0000-f87b204eeede>')).toBeUndefined();
  });

  it('recognises a keep-alive REGISTER sent to a backup registrar', () => {
    const first = registers()[0];
    const contact = '<sip:1034@10.88.247.132:2039;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-f87b204eeede>";+u.sip!devicename.ccm.cisco.com="SEPF87B204EEEDE";cisco-keep-alive';
    const r = ciscoRegistration(setHeader(first, 'Contact', contact));
    expect(r.ok && [r.value.keepAlive, r.value.expires]).toEqual([true, 0]);
  });

  it('parses the cisco-alarm Reason header of a re-registering phone', () => {
    const reason = 'SIP;cause=200;text="cisco-alarm:25 Name=SEPF87B204EEEDE ActiveLoad=sip88xx.12-1-1-0001-14 InactiveLoad=sip88xx.11-7-1-0001-36 Last=cm-closed-tcp"';
    const withReason = decoded(encodeSip(addHeader(registers()[0], 'Reason', reason)));
    expect(ciscoAlarm(withReason)).toEqual({
      alarm: 25, deviceName: 'SEPF87B204EEEDE', activeLoad: 'sip88xx.12-1-1-0001-14', inactiveLoad: 'sip88xx.11-7-1-0001-36', lastReason: 'cm-closed-tcp',
      fields: { Name: 'SEPF87B204EEEDE', ActiveLoad: 'sip88xx.12-1-1-0001-14', InactiveLoad: 'sip88xx.11-7-1-0001-36', Last: 'cm-closed-tcp' },
    });
    const r = ciscoRegistration(withReason);
    expect(r.ok && r.value.alarm?.lastReason).toBe('cm-closed-tcp');
  });

  it('reads older Load= alarms, values with spaces, and refuses other Reasons', () => {
    const old = parseCiscoAlarm('SIP ;cause=200 ;text="cisco-alarm:14 Name=SEP0022905C9DA1 Load=SIP45.9-2-1S Last=Phone Keypad"');
    expect(old.ok && [old.value.alarm, old.value.activeLoad, old.value.lastReason]).toEqual([14, 'SIP45.9-2-1S', 'Phone Keypad']);
    expect(parseCiscoAlarm('Q.850;cause=16').ok).toBe(false);
    expect(parseCiscoAlarm('SIP;cause=200;text="cisco-alarm:x Name=a"').ok).toBe(false);
    expect(parseCiscoAlarm('SIP;text="cisco-alarm:').ok).toBe(false);
  });

  it('refuses non-REGISTER messages', () => {
    const response = decoded(loadFixtureMessages(PHONES)[1].bytes);
    expect(ciscoRegistration(response).ok).toBe(false);
  });
});

describe('describeSipPayload', () => {
  it('summarises a phone REGISTER and the 503 answering it', () => {
    const [reg, resp] = loadFixtureMessages(PHONES);
    expect(describeSipPayload(reg.frame, reg.bytes)).toEqual({
      frame: 1, protocol: 'sip', method: 'REGISTER', cseq: '12917 REGISTER',
      callId: 'f87b204e-eede1e8c-2ecf426b-2768e571@10.1.69.7',
      from: 'sip:1034@10.180.110.58', to: 'sip:1034@10.180.110.58',
      contact: 'sip:8f83d778-4c97-4abe-9021-40ca9c3a1d87@10.88.247.132:2039;transport=udp',
      expires: 0, deviceName: 'SEPF87B204EEEDE', model: '36217',
    });
    expect(describeSipPayload(resp.frame, resp.bytes)).toEqual({
      frame: 2, protocol: 'sip', status: 503, reason: 'Service Unavailable - registrar unavail or not enabled',
      cseq: '12917 REGISTER', callId: 'f87b204e-eede1e8c-2ecf426b-2768e571@10.1.69.7',
      from: 'sip:1034@10.180.110.58', to: 'sip:1034@10.180.110.58',
    });
    const ok200 = loadFixtureMessages('sip_ios_gateway_register_401_digest_200.pcapng')[3];
    expect(describeSipPayload(ok200.frame, ok200.bytes)).toMatchObject({ status: 200, contact: 'sip:10.180.110.65:5060;transport=UDP', expires: 3600 });
  });

  it('returns undefined for non-SIP and an error for broken SIP', () => {
    expect(describeSipPayload(3, Buffer.from([1, 2, 3]))).toBeUndefined();
    expect(describeSipPayload(3, Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
    expect(describeSipPayload(4, Buffer.from('REGISTER sip:a SIP/2.0\r\nContent-Length: 10\r\n\r\n'))).toEqual({
      frame: 4, protocol: 'sip', error: 'body shorter than Content-Length (0 < 10)',
    });
  });
});
