// Every real phone configuration in test/fixtures/config: what Outpost learns from it and how
// each survivability mode rewrites it, with every byte outside the edited text kept.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFacts } from '../../../src/files/cnf/facts.js';
import { rewriteConfig } from '../../../src/files/cnf/rewrite.js';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'config');
const OUTPOST = '10.20.0.1';
const fixtures = ['sccp', 'sip'].flatMap((d) => readdirSync(join(DIR, d)).filter((f) => f.endsWith('.cnf.xml')).map((f) => join(d, f)));
const read = (f: string) => readFileSync(join(DIR, f), 'latin1');

describe('cnf.xml facts', () => {
  it('SCCP phone with unbound xsi:/axl: prefixes: CUCM member, line 1000, sccp', () => {
    const f = configFacts(read('sccp/SEP001380AD9E5F.cnf.xml'));
    expect(f.callManagers).toEqual([{ host: '10.102.172.11', sccpPort: 2000, sipPort: undefined }]);
    expect(f.lines).toEqual(['1000']);
    expect(f.protocol).toBe('sccp');
    expect(f.references).toContain('CP7912060000SCCP050124A.loads');
  });
  it('SIP phone: member with SIP port, line 1 only (button 2 is a speed dial), references', () => {
    const f = configFacts(read('sip/SEP2C73A02DF3E8.cnf.xml'));
    expect(f.callManagers).toEqual([{ host: 'x.x.x.x', sipPort: 5060, sccpPort: undefined }]);
    expect(f.lines).toEqual(['1995']);
    expect(f.protocol).toBe('sip');
    expect(f.references).toEqual(expect.arrayContaining(['dialplan.xml', 'softkeys.xml', 'Ringlist.xml']));
  });
  it('2012 variant: both ports and line 3000', () => {
    const f = configFacts(read('sip/SEPmac_2012_variant.cnf.xml'));
    expect(f.callManagers).toEqual([{ host: '192.168.1.16', sipPort: 5060, sccpPort: 2000 }]);
    expect(f.lines).toEqual(['3000']);
    expect(f.protocol).toBe('sip');
  });
  it('ignores look-alike elements inside comments', () => {
    const f = configFacts('<device><!-- <callManagerGroup><members><member><callManager><processNodeName>evil</processNodeName></callManager></member></members></callManagerGroup> --></device>');
    expect(f.callManagers).toEqual([]);
  });
});

describe.each(fixtures)('rewrite %s', (file) => {
  const text = read(file);
  const facts = configFacts(text);

  it('passthrough changes nothing', () => {
    expect(rewriteConfig(text, { mode: 'passthrough', address: OUTPOST })).toBe(text);
  });

  it('proxy names Outpost in every callManagerGroup member, ports kept, and nothing else changes', () => {
    const out = rewriteConfig(text, { mode: 'proxy', address: OUTPOST });
    const after = configFacts(out);
    expect(after.callManagers.length).toBe(facts.callManagers.length);
    for (const [i, cm] of after.callManagers.entries()) {
      expect(cm.host).toBe(OUTPOST);
      expect(cm.sipPort).toBe(facts.callManagers[i].sipPort);
      expect(cm.sccpPort).toBe(facts.callManagers[i].sccpPort);
    }
    expect(after.lines).toEqual(facts.lines);
    // Writing the original host back restores the file byte for byte: only those text nodes changed.
    const host = facts.callManagers[0].host;
    expect(rewriteConfig(out, { mode: 'proxy', address: host })).toBe(text);
  });

  it('srst names Outpost in srstInfo and leaves the callManagerGroup alone', () => {
    const out = rewriteConfig(text, { mode: 'srst', address: OUTPOST });
    expect(configFacts(out).callManagers).toEqual(facts.callManagers);
    const info = /<srstInfo[^>]*>([\s\S]*?)<\/srstInfo>/.exec(out)?.[1] ?? '';
    expect(info).toContain(`<ipAddr1>${OUTPOST}</ipAddr1>`);
    expect(info).toContain('<srstOption>Enable</srstOption>');
    if (facts.protocol === 'sip') expect(info).toContain(`<sipIpAddr1>${OUTPOST}</sipIpAddr1>`);
    expect(out.startsWith(text.slice(0, text.indexOf('<srstInfo') >= 0 ? text.indexOf('<srstInfo') : text.indexOf('</devicePool>')))).toBe(true);
  });
});

describe('srst on a file that already has srstInfo', () => {
  it('edits only the srstInfo fields (SCCP fixture)', () => {
    const text = read('sccp/SEP001380AD9E5F.cnf.xml');
    const out = rewriteConfig(text, { mode: 'srst', address: OUTPOST });
    const strip = (s: string) => s.replace(/<srstInfo[\s\S]*?<\/srstInfo>/, '');
    expect(strip(out)).toBe(strip(text));
    expect(out).toContain('<srstOption>Enable</srstOption>');
    expect(out).toContain('<port1>2000</port1>');
  });
});
