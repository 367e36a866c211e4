import { readdirSync, readFileSync } from 'node:fs';

/** Figures about a running process read from Linux /proc. */

/** User + system CPU time of a process so far, in ms (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name: state is [0], utime [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident memory of a process now, in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  return kb / 1024;
}

/** The highest resident memory a process has had, in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * CPU time so far of every process on the machine, in ms, by what it is: a service by its app
 * name (`api-gateway`…), node processes otherwise as `node`, the rest by command name with any
 * `/worker` suffix cut (`postgres`, `nats-server`, `kworker`). Processes come and go: compare two
 * readings with `cpuSince`.
 */
export function cpuByProcess(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const key = command.includes('node')
        ? (/apps\/([\w-]+)\//.exec(command)?.[1] ?? 'node')
        : name.replace(/[/:].*/, '');
      out.set(key, (out.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

/** CPU ms per process group spent since `before` (a `cpuByProcess()` reading), largest first. */
export function cpuSince(before: Map<string, number>): Array<[string, number]> {
  return [...cpuByProcess()]
    .map(([key, ms]) => [key, ms - (before.get(key) ?? 0)] as [string, number])
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1]);
}
