// Paths inside the Outpost checkout, from wherever the benchmark is started.
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function repoPath(...parts) {
  return join(root, ...parts);
}
