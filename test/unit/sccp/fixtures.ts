// The SCCP captures as test material: every message Outpost's stream follower cuts out of them,
// and tshark's `skinny` dissector reading the same files, as the independent oracle.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SccpStreamFollower, type CapturedMessage } from '../../../src/sccp/capture.js';
import { readCapture } from '../../../src/util/pcap.js';

export const SCCP_FIXTURE_DIR = join(import.meta.dirname, '../../fixtures/pcap/sccp');

export const sccpFixtureFiles = (): string[] => readdirSync(SCCP_FIXTURE_DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

export function fixturePath(file: string): string {
  return join(SCCP_FIXTURE_DIR, file);
}

export function capturedMessages(file: string): CapturedMessage[] {
  const cap = readCapture(readFileSync(fixturePath(file)));
  if (!cap.ok) throw new Error(`${file}: ${cap.error}`);
  const follower = new SccpStreamFollower();
  const out: CapturedMessage[] = [];
  for (const f of cap.frames) {
    for (const o of follower.push(f)) {
      if ('error' in o) throw new Error(`${file} frame ${o.frame}: ${o.error}`);
      out.push(o);
    }
  }
  return out;
}

const SEP = '|';

/** Per frame with SCCP: the frame number and each field's occurrences, in order. */
export function tsharkSkinny(path: string, fields: string[], filter = 'skinny'): { frame: number; values: Record<string, string[]> }[] {
  const args = ['-r', path, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${SEP}`, '-e', 'frame.number'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l !== '').map((line) => {
    const [frame, ...cols] = line.split('\t');
    return { frame: Number(frame), values: Object.fromEntries(fields.map((f, i) => [f, cols[i] ? cols[i].split(SEP) : []])) };
  });
}

/** tshark's expert/malformed complaints about SCCP in a file, one line each. */
export function tsharkSkinnyProblems(path: string): string[] {
  const out = execFileSync('tshark', ['-r', path, '-Y', 'skinny && (_ws.malformed || _ws.expert.severity >= warning)', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Info'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '');
}
