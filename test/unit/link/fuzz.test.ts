// Hostile-input fuzzing: the link codecs face every frame on the LAN. Deterministic (seeded),
// so a failure reproduces; asserts only "never throws, always returns a Result".
import { describe, expect, it } from 'vitest';
import { decodeCdpFrame } from '../../../src/link/cdp/index.js';
import { decodeLldpFrame } from '../../../src/link/lldp/index.js';
import { describeLinkFrame } from '../../../src/link/describe.js';
import type { Result } from '../../../src/util/result.js';
import { prng } from '../../support/prng.js';
import { CDP_DIR, LLDP_DIR, captureFiles, frames } from './fixtures.js';

const INPUTS_PER_CODEC = 100_000;


function* inputs(seeds: Buffer[], seed: number, header: Buffer): Generator<Buffer> {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  for (let i = 0; i < INPUTS_PER_CODEC; i++) {
    const kind = i % 5;
    if (kind === 0) {
      // Random bytes behind a valid header, so the PDU decoder is reached.
      const body = Buffer.alloc(int(600));
      for (let j = 0; j < body.length; j++) body[j] = int(256);
      yield Buffer.concat([header, body]);
      continue;
    }
    const base = Buffer.from(seeds[int(seeds.length)]);
    if (kind === 1) {
      for (let flips = 1 + int(8); flips > 0; flips--) base[int(base.length)] ^= 1 << int(8);
      yield base;
    } else if (kind === 2) {
      yield base.subarray(0, int(base.length + 1));
    } else if (kind === 3) {
      // Corrupt a length field: somewhere a byte becomes 0, 0xff or a small value.
      const at = 12 + int(Math.max(1, base.length - 12));
      base[at] = [0, 0xff, 1, 2, 3, 4, 0x80][int(7)];
      yield base;
    } else {
      // Splice: the start of one real frame with the tail of another.
      const other = seeds[int(seeds.length)];
      yield Buffer.concat([base.subarray(0, int(base.length)), other.subarray(int(other.length))]);
    }
  }
}

function isResult(r: Result<unknown>): boolean {
  return r.ok ? r.value !== undefined : typeof r.error === 'string';
}

function fuzz(name: string, seeds: Buffer[], seed: number, header: Buffer, decode: (b: Buffer) => Result<unknown>): void {
  it(`${name}: ${INPUTS_PER_CODEC} hostile inputs, no throw`, () => {
    let n = 0, bad = 0;
    for (const input of inputs(seeds, seed, header)) {
      const r = decode(input);
      if (!isResult(r)) bad++;
      describeLinkFrame(n, input);
      n++;
    }
    expect(n).toBe(INPUTS_PER_CODEC);
    expect(bad).toBe(0);
  }, 20_000);
}

const cdpSeeds = captureFiles(CDP_DIR).flatMap((f) => frames(f).map((fr) => fr.data)).filter((d) => d[12] !== 0x88);
const lldpSeeds = [...captureFiles(LLDP_DIR), `${CDP_DIR}/cdp_and_lldp_two_c3560_switches.pcap`]
  .flatMap((f) => frames(f).map((fr) => fr.data)).filter((d) => d.readUInt16BE(12) === 0x88cc);

describe('link codec fuzz', () => {
  fuzz('CDP', cdpSeeds, 0xc0ffee, Buffer.from('01000ccccccc020000000001 05dc aaaa03 00000c 2000 02b40000'.replace(/ /g, ''), 'hex'), decodeCdpFrame);
  fuzz('LLDP', lldpSeeds, 0x11d9, Buffer.from('0180c200000e020000000001 88cc'.replace(/ /g, ''), 'hex'), decodeLldpFrame);
});
