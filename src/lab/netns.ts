// Network namespaces for the lab and the tests: every namespace carries a run-unique
// prefix, every process started here is tracked by PID, and destroy() removes it all.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A short prefix unique to this run, so parallel runs never collide (names must fit IFNAMSIZ-ish limits). */
export function uniquePrefix(tag = 'op'): string {
  return `${tag}${(process.pid % 10000).toString(36)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`;
}

export class LabSpace {
  readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(readonly prefix: string) {}

  /** Full namespace name for a short role name ("app" -> "<prefix>-app"). */
  ns(role: string): string {
    return `${this.prefix}-${role}`;
  }

  addNamespace(role: string): string {
    const name = this.ns(role);
    sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Runs a command inside a namespace and returns its stdout (throws on non-zero exit). */
  exec(role: string, cmd: string, args: string[], input?: string): string {
    return sh('ip', ['netns', 'exec', this.ns(role), cmd, ...args], input);
  }

  /** Starts a long-running process inside a namespace; destroy() kills it by PID. */
  spawn(role: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(role), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.push(child);
    return child;
  }

  /** A veth pair with each end created directly inside its namespace. */
  veth(a: { role: string; ifname: string; mac?: string }, b: { role: string; ifname: string; mac?: string }): void {
    const args = ['link', 'add', a.ifname, 'netns', this.ns(a.role)];
    if (a.mac) args.push('address', a.mac);
    args.push('type', 'veth', 'peer', 'name', b.ifname, 'netns', this.ns(b.role));
    if (b.mac) args.push('address', b.mac);
    sh('ip', args);
  }

  destroy(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const name of this.namespaces.splice(0).reverse()) {
      try {
        const pids = sh('ip', ['netns', 'pids', name]).split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
        }
        sh('ip', ['netns', 'del', name]);
      } catch { /* namespace already removed */ }
    }
  }
}
