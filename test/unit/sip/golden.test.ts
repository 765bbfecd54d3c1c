// Every SIP message in the captures decodes, agrees with tshark field by field, and encodes
// back to the very same bytes (nothing was modified, so a proxy must not change anything).

import { describe, expect, it } from 'vitest';
import { allFixtureMessages, loadFixtureMessages, sipFixtureFiles, tsharkFields } from './fixtures.js';
import { decodeSip, declaredContentLength, encodeSip, getHeader } from '../../../src/sip/message.js';
import { getParam, parseCSeq, parseContacts, parseNameAddr, parseSipUri, parseVia } from '../../../src/sip/headers.js';
import { ciscoContactInfo } from '../../../src/sip/cisco.js';

const FIELDS = [
  'sip.Method', 'sip.Status-Code', 'sip.Call-ID', 'sip.from.user', 'sip.from.tag', 'sip.to.user', 'sip.to.tag',
  'sip.contact.uri', 'sip.CSeq.seq', 'sip.CSeq.method', 'sip.Expires', 'sip.Content-Length', 'sip.Via.branch',
  'sip.contact.parameter',
];

function addressParts(value: string | undefined): { user: string; tag: string } {
  if (value === undefined) return { user: '', tag: '' };
  const a = parseNameAddr(value);
  if (!a.ok) throw new Error(a.error);
  const u = parseSipUri(a.value.uri);
  if (!u.ok) throw new Error(u.error);
  return { user: u.value.user ?? '', tag: getParam(a.value.params, 'tag')?.value ?? '' };
}

describe('SIP codec against real captures', () => {
  it('finds the expected number of messages', () => {
    expect(allFixtureMessages().length).toBe(27);
  });

  for (const file of sipFixtureFiles()) {
    describe(file, () => {
      const messages = loadFixtureMessages(file);
      const tshark = tsharkFields(file, FIELDS);

      it('has one decoded message per frame tshark shows as SIP', () => {
        expect(messages.map((m) => m.frame)).toEqual([...tshark.keys()]);
      });

      for (const m of messages) {
        it(`frame ${m.frame} agrees with tshark`, () => {
          const t = tshark.get(m.frame)!;
          const r = decodeSip(m.bytes);
          if (!r.ok) throw new Error(r.error);
          const msg = r.value;
          if (msg.kind === 'request') expect(msg.method).toBe(t['sip.Method']);
          else expect(String(msg.status)).toBe(t['sip.Status-Code']);
          expect(getHeader(msg, 'call-id')).toBe(t['sip.Call-ID']);
          const from = addressParts(getHeader(msg, 'f'));
          const to = addressParts(getHeader(msg, 't'));
          expect(from).toEqual({ user: t['sip.from.user'], tag: t['sip.from.tag'] });
          expect(to).toEqual({ user: t['sip.to.user'], tag: t['sip.to.tag'] });

          const contact = getHeader(msg, 'contact');
          if (t['sip.contact.uri'] !== '') {
            const set = parseContacts(contact ?? '');
            if (!set.ok || set.value.wildcard) throw new Error('no contact');
            expect(set.value.contacts[0].uri).toBe(t['sip.contact.uri']);
          }
          const cseq = parseCSeq(getHeader(msg, 'cseq') ?? '');
          if (!cseq.ok) throw new Error(cseq.error);
          expect(String(cseq.value.seq)).toBe(t['sip.CSeq.seq']);
          expect(cseq.value.method).toBe(t['sip.CSeq.method']);
          expect(getHeader(msg, 'expires') ?? '').toBe(t['sip.Expires']);
          const length = declaredContentLength(msg.headers);
          expect(length.ok && String(length.value)).toBe(t['sip.Content-Length']);
          expect(String(msg.body.length)).toBe(t['sip.Content-Length']);
          const via = parseVia(getHeader(msg, 'via') ?? '');
          if (!via.ok) throw new Error(via.error);
          expect(getParam(via.value.params, 'branch')?.value).toBe(t['sip.Via.branch']);

          const named = /\+u\.sip!devicename\.ccm\.cisco\.com="([^"]+)"/.exec(contact ?? '')?.[1];
          expect(ciscoContactInfo(msg).deviceName).toBe(named);
        });

        it(`frame ${m.frame} encodes back byte for byte`, () => {
          const r = decodeSip(m.bytes);
          if (!r.ok) throw new Error(r.error);
          expect(encodeSip(r.value).equals(m.bytes)).toBe(true);
        });
      }
    });
  }
});
