import { describe, expect, it } from 'vitest';
import {
  formatNameAddr, formatSipUri, formatVia, getParam, makeParam, parseCSeq, parseContacts, parseDeltaSeconds,
  parseNameAddr, parseParams, parseSipUri, parseVia, splitHeaderList,
} from '../../../src/sip/headers.js';
import {
  type SipMessage, addHeader, decodeSip, encodeSip, getHeader, getHeaders, removeHeader, setHeader,
} from '../../../src/sip/message.js';

const msg = (text: string): SipMessage => {
  const r = decodeSip(Buffer.from(text.replace(/\n/g, '\r\n')));
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

const sample = msg(`REGISTER sip:10.1.1.1 SIP/2.0
v: SIP/2.0/UDP 10.1.1.20:5060;branch=z9hG4bK1;rport, SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK0;received=10.0.0.1
Via: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bK2
i: abc@10.1.1.20
f: "Smith, Alice" <sip:2001@10.1.1.1>;tag=x1
t: <sip:2001@10.1.1.1>
m: "Desk, 2" <sip:2001@10.1.1.20:5060;transport=udp>;expires=60;q=0.5, <sip:2001@10.1.1.21>;+sip.instance="<urn:uuid:a,b>"
Date: Tue, 18 Sep 2018 20:14:06 GMT
WWW-Authenticate: Digest realm="a,b", nonce="n", qop="auth,auth-int"
Authorization: Digest username="u",realm="r",uri="sip:x"
k: replaces, join
Supported: path
RTP-RxStat: Dur=11,Pkt=654
Subject: folded
  across lines
l: 0

`);

describe('header access', () => {
  it('resolves compact forms both ways, case-insensitively', () => {
    expect(getHeader(sample, 'Call-ID')).toBe('abc@10.1.1.20');
    expect(getHeader(sample, 'I')).toBe('abc@10.1.1.20');
    expect(getHeader(sample, 'FROM')).toBe('"Smith, Alice" <sip:2001@10.1.1.1>;tag=x1');
    expect(getHeader(sample, 't')).toBe('<sip:2001@10.1.1.1>');
    expect(getHeader(sample, 'content-length')).toBe('0');
    expect(getHeader(sample, 'missing')).toBeUndefined();
  });

  it('returns the top element of a list header', () => {
    expect(getHeader(sample, 'via')).toBe('SIP/2.0/UDP 10.1.1.20:5060;branch=z9hG4bK1;rport');
  });

  it('splits list headers across lines, never at quoted or bracketed commas', () => {
    expect(getHeaders(sample, 'Via')).toHaveLength(3);
    expect(getHeaders(sample, 'contact')).toEqual([
      '"Desk, 2" <sip:2001@10.1.1.20:5060;transport=udp>;expires=60;q=0.5',
      '<sip:2001@10.1.1.21>;+sip.instance="<urn:uuid:a,b>"',
    ]);
    expect(getHeaders(sample, 'supported')).toEqual(['replaces', 'join', 'path']);
    expect(splitHeaderList('<sip:a,b@h>;x="1,2" , c')).toEqual(['<sip:a,b@h>;x="1,2"', 'c']);
  });

  it('never splits headers whose values contain commas', () => {
    expect(getHeaders(sample, 'date')).toEqual(['Tue, 18 Sep 2018 20:14:06 GMT']);
    expect(getHeaders(sample, 'www-authenticate')).toHaveLength(1);
    expect(getHeaders(sample, 'authorization')).toHaveLength(1);
    expect(getHeaders(sample, 'rtp-rxstat')).toEqual(['Dur=11,Pkt=654']);
    expect(getHeaders(sample, 'from')).toEqual(['"Smith, Alice" <sip:2001@10.1.1.1>;tag=x1']);
  });

  it('unfolds continuation lines and writes them back unchanged', () => {
    expect(getHeader(sample, 'subject')).toBe('folded across lines');
    const again = decodeSip(encodeSip(sample));
    expect(again.ok && getHeader(again.value, 's')).toBe('folded across lines');
    expect(encodeSip(sample).toString()).toContain('Subject: folded\r\n  across lines\r\n');
  });

  it('set/add/remove return modified copies and keep the rest byte for byte', () => {
    const before = encodeSip(sample).toString();
    const a = addHeader(sample, 'Via', 'SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKo', 'first');
    expect(getHeader(a, 'via')).toBe('SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKo');
    expect(a.headers.findIndex((h) => h.name === 'Via')).toBe(0);
    const b = addHeader(a, 'Record-Route', '<sip:10.0.0.2;lr>');
    expect(b.headers[b.headers.length - 1].name).toBe('Record-Route');
    const c = setHeader(b, 'call-id', 'new@x');
    expect(getHeaders(c, 'i')).toEqual(['new@x']);
    const d = removeHeader(c, 'v');
    expect(getHeaders(d, 'via')).toEqual([]);
    expect(encodeSip(sample).toString()).toBe(before);
    expect(getHeader(setHeader(sample, 'X-New', '1'), 'x-new')).toBe('1');
  });

  it('encode rewrites Content-Length to the body length', () => {
    const withBody = { ...sample, body: Buffer.from('v=0\r\n') };
    const text = encodeSip(withBody).toString();
    expect(text).toContain('\r\nl: 5\r\n');
    const noLength = removeHeader(sample, 'content-length');
    expect(encodeSip(noLength).toString()).toMatch(/Content-Length: 0\r\n\r\n$/);
  });
});

describe('message decoding edge cases', () => {
  it('takes the rest of a datagram as body when Content-Length is absent', () => {
    const m = msg('MESSAGE sip:a@b SIP/2.0\nCall-ID: 1\n\nhello');
    expect(m.body.toString()).toBe('hello');
  });
  it('refuses a Content-Length longer than the datagram, negative or conflicting', () => {
    expect(decodeSip(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: 99\r\n\r\nabc')).ok).toBe(false);
    expect(decodeSip(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n')).ok).toBe(false);
    expect(decodeSip(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n')).ok).toBe(false);
    expect(decodeSip(Buffer.from('OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab')).ok).toBe(false);
  });
  it('discards bytes beyond Content-Length', () => {
    const r = decodeSip(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nabcd'));
    expect(r.ok && r.value.body.toString()).toBe('ab');
  });
  it('keeps a multipart body intact', () => {
    const body = '--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--\r\n';
    const text = `INVITE sip:a@b SIP/2.0\r\nContent-Type: multipart/mixed;boundary=b\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const r = decodeSip(Buffer.from(text));
    expect(r.ok && r.value.body.toString()).toBe(body);
    expect(r.ok && encodeSip(r.value).toString()).toBe(text);
  });
  it('parses a status line with an empty reason and rejects garbage', () => {
    const r = decodeSip(Buffer.from('SIP/2.0 180 \r\n\r\n'));
    expect(r.ok && r.value.kind === 'response' && r.value.status).toBe(180);
    expect(decodeSip(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')).ok).toBe(false);
    expect(decodeSip(Buffer.from('INVITE sip:a SIP/2.0\r\nno colon\r\n\r\n')).ok).toBe(false);
    expect(decodeSip(Buffer.from('INVITE sip:a SIP/2.0\r\n folded first\r\n\r\n')).ok).toBe(false);
    expect(decodeSip(Buffer.from([0x49, 0x4e, 0x20, 0xff, 0x0d, 0x0a, 0x0d, 0x0a])).ok).toBe(false);
  });
});

describe('structured values', () => {
  it('parses a Cisco Contact name-addr keeping raw quoted params', () => {
    const r = parseNameAddr('"Alice" <sip:2001@10.1.1.1:5060;transport=udp>;tag=abc;+sip.instance="<urn:uuid:00000000-0000-0000-0000-001122334455>";+u.sip!devicename.ccm.cisco.com="SEP001122334455"');
    if (!r.ok) throw new Error(r.error);
    expect(r.value.displayName).toBe('Alice');
    expect(r.value.uri).toBe('sip:2001@10.1.1.1:5060;transport=udp');
    expect(r.value.params.map((p) => p.name)).toEqual(['tag', '+sip.instance', '+u.sip!devicename.ccm.cisco.com']);
    expect(getParam(r.value.params, '+SIP.INSTANCE')).toEqual({
      name: '+sip.instance', value: '<urn:uuid:00000000-0000-0000-0000-001122334455>', raw: '"<urn:uuid:00000000-0000-0000-0000-001122334455>"',
    });
    expect(formatNameAddr(r.value)).toBe('"Alice" <sip:2001@10.1.1.1:5060;transport=udp>;tag=abc;+sip.instance="<urn:uuid:00000000-0000-0000-0000-001122334455>";+u.sip!devicename.ccm.cisco.com="SEP001122334455"');
  });

  it('parses token display names and bare addr-specs', () => {
    const a = parseNameAddr('Bob Smith <sip:b@h>');
    expect(a.ok && a.value.displayName).toBe('Bob Smith');
    expect(a.ok && formatNameAddr(a.value)).toBe('Bob Smith <sip:b@h>');
    const q = parseNameAddr('"Say \\"hi\\"" <sip:b@h>');
    expect(q.ok && q.value.displayName).toBe('Say "hi"');
    expect(q.ok && formatNameAddr(q.value)).toBe('"Say \\"hi\\"" <sip:b@h>');
    const b = parseNameAddr('sip:voicemail@10.180.110.65:5060;tag=1');
    expect(b.ok && b.value).toEqual({ uri: 'sip:voicemail@10.180.110.65:5060', bracketed: false, params: [{ name: 'tag', value: '1', raw: '1' }] });
    expect(parseNameAddr('"unterminated <sip:a@b>').ok).toBe(false);
    expect(parseNameAddr('<sip:a@b').ok).toBe(false);
    expect(parseNameAddr('').ok).toBe(false);
  });

  it('parses and formats SIP URIs', () => {
    const r = parseSipUri('sip:2001@10.1.1.1:5060;transport=tcp?x=y');
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toEqual({
      scheme: 'sip', user: '2001', host: '10.1.1.1', port: 5060,
      params: [{ name: 'transport', value: 'tcp', raw: 'tcp' }], headers: [{ name: 'x', value: 'y' }],
    });
    expect(formatSipUri(r.value)).toBe('sip:2001@10.1.1.1:5060;transport=tcp?x=y');
    for (const uri of ['sips:alice:pw@[2001:db8::1]:5061;lr', 'sip:10.180.110.58', 'sip:+15551234;phone-context=x@gw.example.com;user=phone']) {
      const u = parseSipUri(uri);
      expect(u.ok && formatSipUri(u.value)).toBe(uri);
    }
    expect(parseSipUri('tel:+1555').ok).toBe(false);
    expect(parseSipUri('sip:a@h:99999').ok).toBe(false);
    expect(parseSipUri('sip:a@h:-1').ok).toBe(false);
    expect(parseSipUri('sip:@h').ok).toBe(false);
  });

  it('parses Via with valueless rport, received and IPv6', () => {
    const r = parseVia('SIP/2.0/UDP 10.1.1.20:5060;branch=z9hG4bK1;rport');
    if (!r.ok) throw new Error(r.error);
    expect(r.value.protocol).toBe('SIP/2.0/UDP');
    expect(r.value.transport).toBe('UDP');
    expect(r.value.host).toBe('10.1.1.20');
    expect(r.value.port).toBe(5060);
    expect(getParam(r.value.params, 'rport')).toEqual({ name: 'rport' });
    expect(formatVia(r.value)).toBe('SIP/2.0/UDP 10.1.1.20:5060;branch=z9hG4bK1;rport');
    const v6 = parseVia('SIP / 2.0 / TCP [2001:db8::1];rport=5070;received=10.0.0.1');
    expect(v6.ok && v6.value.host).toBe('[2001:db8::1]');
    expect(v6.ok && v6.value.port).toBeUndefined();
    expect(v6.ok && getParam(v6.value.params, 'rport')?.value).toBe('5070');
    const changed = v6.ok ? { ...v6.value, params: [...v6.value.params.filter((p) => p.name !== 'rport'), makeParam('rport', '5070')] } : undefined;
    expect(changed && formatVia(changed)).toBe('SIP/2.0/TCP [2001:db8::1];received=10.0.0.1;rport=5070');
    expect(parseVia('10.1.1.1:5060').ok).toBe(false);
    expect(parseVia('SIP/2.0/UDP host:70000').ok).toBe(false);
  });

  it('parses Contact lists, * and expires/q', () => {
    const star = parseContacts('*');
    expect(star.ok && star.value.wildcard).toBe(true);
    expect(parseContacts('*, <sip:a@b>').ok).toBe(false);
    const list = parseContacts('<sip:a@b>;expires=60;q=0.7, "x" <sip:c@d>;expires=99999999999');
    if (!list.ok || list.value.wildcard) throw new Error('expected contacts');
    expect(list.value.contacts.map((c) => [c.uri, c.expires, c.q])).toEqual([['sip:a@b', 60, 0.7], ['sip:c@d', 0xffffffff, undefined]]);
  });

  it('parses CSeq, delta-seconds and generic params', () => {
    expect(parseCSeq('101 INVITE')).toEqual({ ok: true, value: { seq: 101, method: 'INVITE' } });
    expect(parseCSeq('2147483648 INVITE').ok).toBe(false);
    expect(parseCSeq('-1 INVITE').ok).toBe(false);
    expect(parseCSeq('1').ok).toBe(false);
    expect(parseDeltaSeconds(' 3600 ')).toEqual({ ok: true, value: 3600 });
    expect(parseDeltaSeconds('-5').ok).toBe(false);
    expect(parseDeltaSeconds('1e3').ok).toBe(false);
    const p = parseParams('; security= Unknown; orientation= from; isVoip; text="a;b"');
    expect(p.ok && p.value).toEqual([
      { name: 'security', value: 'Unknown', raw: 'Unknown' }, { name: 'orientation', value: 'from', raw: 'from' },
      { name: 'isVoip' }, { name: 'text', value: 'a;b', raw: '"a;b"' },
    ]);
  });
});
