import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

/** Fields of `/proc/<pid>/stat` after the `(comm)` field, which may itself hold spaces. */
function statFields(pid: number): { comm: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, close),
    fields: stat.slice(close + 2).split(' '),
  };
}

/**
 * CPU seconds (user + system, every thread) a process has used so far, read from `/proc`, so
 * any process is measured the same way: Node, workerd, the ingest stand-in.
 */
export function processCpuSeconds(pid: number): number {
  const { fields } = statFields(pid);
  // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Threads of a process (workerd runs its isolates on one of them). */
export function threadCount(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

/** Pids of the processes named `comm` that descend from `ancestor` (workerd under Miniflare). */
export function descendantsNamed(ancestor: number, comm: string): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm: name, fields } = statFields(Number(entry));
      parents.set(Number(entry), Number(fields[1]));
      names.set(Number(entry), name);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (p === ancestor) return true;
    }
    return false;
  };
  return [...names].filter(([pid, name]) => name === comm && descends(pid)).map(([pid]) => pid);
}

/**
 * CPU seconds the whole machine has been busy so far, over every core (`/proc/stat`: user,
 * nice, system, irq, softirq and steal): less what the processes measured used, what other
 * work on the machine took from them.
 */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
    TICKS_PER_SECOND
  );
}
