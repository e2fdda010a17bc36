// What the benches read from /proc: a process's RSS and CPU, its threads' run and wait times, the whole machine's
// busy time, and a process tree.

import fs from 'node:fs';
import os from 'node:os';

export function readProc(pid: number): { rssMiB: number; cpuS: number } {
  const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssMiB: Number(rss![1]) / 1024, cpuS: (Number(f[11]) + Number(f[12])) / 100 };
}

export type ThreadTimes = Map<string, { name: string; runNs: number; waitNs: number }>;

/** Per thread: its name (Vigil names its workers) and schedstat's time run and time waited for a CPU (ns). */
export function readThreads(pid: number): ThreadTimes {
  const out: ThreadTimes = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, { name, runNs: run!, waitNs: wait! });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Threads busy for at least 0.5% of a core between two readings, busiest first: cores running and cores waiting. */
export function threadLoad(t0: ThreadTimes, t1: ThreadTimes, wallS: number): { name: string; run: number; wait: number }[] {
  return [...t1]
    .map(([tid, t]) => {
      const before = t0.get(tid);
      return { name: t.name, run: (t.runNs - (before?.runNs ?? 0)) / 1e9 / wallS, wait: (t.waitNs - (before?.waitNs ?? 0)) / 1e9 / wallS };
    })
    .filter((t) => t.run >= 0.005)
    .sort((a, b) => b.run - a.run);
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
export function readMachine(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}

/** Cores busy on the whole machine (every process, the kernel too) since `m0`. */
export function machineCores(m0: { busy: number; total: number }): number {
  const m1 = readMachine();
  return ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length;
}

/** A process and its descendants (a relay's cluster workers). */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const k of kids.split(/\s+/).filter(Boolean)) out.push(...processTree(Number(k)));
  } catch {
    // Gone already.
  }
  return out;
}

/** CPU seconds of a process and its descendants. */
export function treeCpuS(pid: number): number {
  return processTree(pid).reduce((a, p) => {
    try {
      return a + readProc(p).cpuS;
    } catch {
      return a;
    }
  }, 0);
}
