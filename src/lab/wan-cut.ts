// Cutting the lab WAN the way real WANs fail: the link stays up and packets silently vanish,
// so Outpost has to notice by its probes timing out (no netem in the lab kernel, so nft drops).
import { sh } from './netns.js';

const CUT_TABLE = [
  'table bridge cut {',
  '  chain c { type filter hook forward priority 0; policy drop; }',
  '}',
  '',
].join('\n');

/** Drops every frame the WAN bridge in namespace `ns` would forward. Idempotent. */
export function cutWan(ns: string): void {
  if (!wanIsCut(ns)) sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], CUT_TABLE);
}

/** Removes the drop table again. Idempotent. */
export function restoreWan(ns: string): void {
  if (wanIsCut(ns)) sh('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'bridge', 'cut']);
}

export function wanIsCut(ns: string): boolean {
  try {
    sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'bridge', 'cut']);
    return true;
  } catch {
    return false;
  }
}
