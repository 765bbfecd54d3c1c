// Finds the Outpost checkout, so lab assets (phone config templates, Kamailio config, sipp
// scenarios) are found the same way from src/lab (vitest) and from the compiled dist/lab (npm start).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The nearest directory above this module that holds package.json. */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('lab: cannot find the Outpost checkout (no package.json above the lab module)');
    dir = parent;
  }
  cached = dir;
  return dir;
}

/** Absolute path of a file in the checkout, from path segments relative to its root. */
export function repoPath(...segments: string[]): string {
  return join(repoRoot(), ...segments);
}
