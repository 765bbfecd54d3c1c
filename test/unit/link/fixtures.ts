// Shared by the link tests: load fixture frames and ask tshark (the independent oracle) for fields.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture, type CapturedFrame } from '../../../src/util/pcap.js';

export const CDP_DIR = 'test/fixtures/pcap/cdp';
export const LLDP_DIR = 'test/fixtures/pcap/lldp';
export const MALFORMED_LLDP = join(LLDP_DIR, 'lldpmed_malformed_location_negative.pcap');

export function captureFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, f));
}

export function frames(file: string): CapturedFrame[] {
  const cap = readCapture(readFileSync(file));
  if (!cap.ok) throw new Error(`${file}: ${cap.error}`);
  return cap.frames;
}

/** One record per frame matching `filter`, keyed by frame number; multi-valued fields joined with ','. */
export function tsharkFields(file: string, filter: string, fields: string[]): Map<number, Record<string, string>> {
  const out = execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'aggregator=,', '-E', 'occurrence=a',
    '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = new Map<number, Record<string, string>>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const rec: Record<string, string> = {};
    fields.forEach((f, i) => { rec[f] = cols[i + 1] ?? ''; });
    rows.set(Number(cols[0]), rec);
  }
  return rows;
}

/** tshark prints numbers as decimal or 0x-hex; '' means absent. */
export function num(text: string): number | undefined {
  return text === '' ? undefined : Number(text);
}

export function nums(text: string): number[] {
  return text === '' ? [] : text.split(',').map(Number);
}
