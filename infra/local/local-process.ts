/**
 * Who a pid written in the data folder is now: the local stack records its own pid (the data
 * folder's lock) and DynamoDB Local's (to stop it after a crash), and must never mistake a
 * recycled pid for the process it recorded, nor kill a stranger. Linux tells through /proc;
 * elsewhere only "a process with this pid exists" is known.
 */
import { readFileSync } from 'node:fs';

/** A process as recorded in a file of the data folder. */
export interface ProcessRecord {
  pid: number;
  /** When it started (clock ticks since boot, /proc/<pid>/stat field 22); absent off Linux. */
  startTime?: number;
}

interface ProcStat {
  state: string;
  startTime: number;
}

/** The state and start time of `pid` from /proc; undefined when there is no such process or no /proc. */
function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTime = Number(fields[19]);
  return { state: fields[0] ?? '', startTime };
}

function hasProc(): boolean {
  return procStat(process.pid) !== undefined;
}

/** This process, as it should be recorded. */
export function currentProcessRecord(): ProcessRecord {
  return recordOf(process.pid);
}

/** `pid` as it should be recorded (its start time where /proc tells it). */
export function recordOf(pid: number): ProcessRecord {
  const stat = procStat(pid);
  return stat ? { pid, startTime: stat.startTime } : { pid };
}

/** Whether the recorded process still runs: same pid, same start time, not a zombie. */
export function isRunning(record: ProcessRecord): boolean {
  if (hasProc()) {
    const stat = procStat(record.pid);
    if (!stat || stat.state === 'Z') return false;
    return record.startTime === undefined || stat.startTime === record.startTime;
  }
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of `pid` (arguments split), or undefined where /proc does not tell it. */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Parses a record file's JSON; undefined when it is missing or not a record (e.g. cut short). */
export function readRecordFile<T extends ProcessRecord>(file: string): T | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as T;
    return Number.isInteger(value?.pid) && value.pid > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether two records name the same process. */
export function sameProcess(a: ProcessRecord | undefined, b: ProcessRecord | undefined): boolean {
  return a !== undefined && b !== undefined && a.pid === b.pid && a.startTime === b.startTime;
}
