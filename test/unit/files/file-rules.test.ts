import { describe, expect, it } from 'vitest';
import { bootFilesAfter, deviceOfConfig, deviceOfFile, isConfigFile, isCtlFile, normalizeName, unsignedName } from '../../../src/files/cisco-names.js';
import { GrowingFile } from '../../../src/files/growing-file.js';
import { parseRange } from '../../../src/files/http-server.js';
import { NegativeCache } from '../../../src/files/negative-cache.js';

describe('Cisco file names', () => {
  it.each(['CTLSEP001122334455.tlv', 'ctlsep001122334455.TLV', 'CTLFile.tlv'])('%s is a CTL file', (n) => expect(isCtlFile(n)).toBe(true));
  it.each(['ITLSEP001122334455.tlv', 'ITLFile.tlv', 'SEP001122334455.cnf.xml'])('%s is not', (n) => expect(isCtlFile(n)).toBe(false));
  it('names the device a per-phone file belongs to', () => {
    expect(deviceOfFile('ITLSEP001122334455.tlv')).toBe('SEP001122334455');
    expect(deviceOfFile('sep00112233445a.cnf.xml.sgn')).toBe('SEP00112233445A');
    expect(deviceOfFile('dialplan.xml')).toBeUndefined();
    expect(deviceOfConfig('SEP001122334455.cnf.xml.sgn')).toBeUndefined();
  });
  it('knows configuration files and signed names', () => {
    expect(isConfigFile('xmldefault.cnf.xml')).toBe(true);
    expect(isConfigFile('SEP001122334455.cnf.xml')).toBe(true);
    expect(unsignedName('SEP001122334455.cnf.xml.sgn')).toBe('SEP001122334455.cnf.xml');
    expect(unsignedName('a.xml')).toBeUndefined();
    expect(normalizeName('/SEP001122334455.cnf.xml')).toBe('SEP001122334455.cnf.xml');
  });
  it('knows which of its own files a booting phone asks for next', () => {
    expect(bootFilesAfter('ctlsep00112233445a.tlv')).toEqual(['ITLSEP00112233445A.tlv', 'SEP00112233445A.cnf.xml']);
    expect(bootFilesAfter('ITLSEP00112233445A.tlv')).toEqual(['SEP00112233445A.cnf.xml']);
    for (const n of ['CTLFile.tlv', 'ITLFile.tlv', 'SEP00112233445A.cnf.xml', 'dialplan.xml']) expect(bootFilesAfter(n)).toEqual([]);
  });
});

describe('a file still arriving', () => {
  it('answers each read as soon as its bytes exist, to every reader', async () => {
    const f = new GrowingFile();
    const a = f.read(0, 4);
    const b = f.read(2, 4);
    f.append(Buffer.from('ab'));
    f.append(Buffer.from('cdef'));
    expect((await a).toString()).toBe('abcd');
    expect((await b).toString()).toBe('cdef');
    const tail = f.read(4, 10);
    f.finish();
    expect((await tail).toString()).toBe('ef');
    expect(f.size).toBe(6);
  });
  it('fails waiting readers when the upstream breaks off', async () => {
    const f = new GrowingFile(100);
    const r = f.read(0, 50);
    f.fail(new Error('upstream gone'));
    await expect(r).rejects.toThrow('upstream gone');
  });
});

describe('HTTP ranges', () => {
  it.each([
    ['bytes=0-99', { start: 0, end: 100 }],
    ['bytes=100-', { start: 100, end: 1000 }],
    ['bytes=-10', { start: 990, end: 1000 }],
    ['bytes=900-5000', { start: 900, end: 1000 }],
  ])('%s', (h, want) => expect(parseRange(h, 1000)).toEqual(want));
  it('refuses a range past the end and ignores malformed ones', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-1', 1000)).toBeUndefined();
    expect(parseRange('items=1-2', 1000)).toBeUndefined();
  });
});

describe('negative cache', () => {
  it('remembers a missing name in any case until it expires', async () => {
    const n = new NegativeCache(50);
    n.add('CTLFile.tlv');
    expect(n.has('ctlfile.TLV')).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    expect(n.has('CTLFile.tlv')).toBe(false);
  });
});

describe('largest TFTP block for the phones\' interface', () => {
  it('fits one frame: MTU minus IP, UDP and TFTP headers, within RFC 2348\'s limit', async () => {
    const { blksizeForInterface } = await import('../../../src/files/plane.js');
    expect(blksizeForInterface('lo')).toBe(65464); // loopback's 65536 is above the RFC limit
    expect(blksizeForInterface('no-such-if0')).toBe(1468); // Ethernet's 1500
  });
});
