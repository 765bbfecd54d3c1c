// Lab tests build network namespaces and run real daemons: they need root and the Debian test
// peers (scripts/install-test-deps.sh). Say so plainly instead of failing obscurely.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoPath } from '../../src/lab/repo-root.js';

const TOOLS = ['ip', 'nft', 'tshark', 'lldpd', 'udhcpc', 'tftp', 'in.tftpd', 'kamailio', 'kamcmd', 'sipp', 'curl'];

export function requireLabPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('lab tests need root (network namespaces): run `sudo npm test`');
  const missing = TOOLS.filter((t) => {
    try { execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }); return false; } catch { return true; }
  });
  if (missing.length) throw new Error(`lab tests need ${missing.join(', ')}: run \`sudo bash scripts/install-test-deps.sh\``);
  if (!existsSync(repoPath('dist', 'cli', 'main.js'))) throw new Error('lab tests run the built daemon: run `npm run build` first');
  if (!existsSync(repoPath('build', 'Release', 'outpost_packet.node'))) throw new Error('the raw-frame addon is not built: run `npm rebuild` or `npx node-gyp rebuild`');
}
