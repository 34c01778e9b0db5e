/**
 * The local cloud's virtual clock: real time plus an offset that only grows. The offset is
 * kept in the data folder, so claims written before a restart never end up in the future of
 * the restarted clock. The service sees a `ManualClock` that is brought up to date before
 * each request. Moving the offset (`POST /_local/clock`) arrives together with the local timer
 * runner, because advancing must fire the timers that fall due.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../functions/domain/clock.js';

const CLOCK_FILE = 'virtual-clock.json';

export interface VirtualClock {
  /** The clock handed to the service. */
  clock: ManualClock;
  /** Virtual minus real time, in ms (≥ 0). */
  offsetMs(): number;
  /** Brings `clock` to real time + offset; never moves it backwards. Returns the instant. */
  sync(): Date;
  /** Adds to the offset (persisted) and moves `clock` along. */
  advance(ms: number): Date;
}

/**
 * The virtual clock of a data folder (offset 0 when the folder has none yet). Without
 * `dataDir` the offset lives in memory only.
 */
export function createVirtualClock(options: { dataDir?: string; realNow?: () => number } = {}): VirtualClock {
  const realNow = options.realNow ?? Date.now;
  const file = options.dataDir === undefined ? undefined : join(options.dataDir, CLOCK_FILE);
  let offset = file === undefined ? 0 : readOffset(file);
  const clock = new ManualClock(new Date(realNow() + offset));

  const sync = (): Date => {
    const target = realNow() + offset;
    if (target > clock.now().getTime()) clock.set(new Date(target));
    return clock.now();
  };

  return {
    clock,
    offsetMs: () => offset,
    sync,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError(`The virtual clock only moves forward, not by ${ms} ms.`);
      offset += ms;
      if (file !== undefined) writeOffset(file, offset);
      return sync();
    },
  };
}

function readOffset(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const offset = (JSON.parse(text) as { offsetMs?: unknown }).offsetMs;
  if (typeof offset !== 'number' || !Number.isFinite(offset) || offset < 0) {
    throw new Error(`${file} holds no valid offsetMs; delete it or start with --fresh.`);
  }
  return offset;
}

function writeOffset(file: string, offset: number): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ offsetMs: offset })}\n`);
  renameSync(temporary, file);
}
