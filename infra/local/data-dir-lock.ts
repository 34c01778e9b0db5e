/**
 * One `npm start` per data folder. Two would run two DynamoDB Locals on one database file,
 * two relays on one stream checkpoint and two timer runners, and corrupt each other's data.
 * The lock is a file holding the owner's pid (and start time); a lock whose owner is gone (a
 * crash, `kill -9`) is taken over.
 */
import { linkSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  currentProcessRecord,
  isRunning,
  type ProcessRecord,
  readRecordFile,
  sameProcess,
} from './local-process.js';

/** The lock's file name inside the data folder (`--fresh` keeps it). */
export const LOCK_FILE = 'npm-start.lock';

/** The data folder is in use by a running process. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: ProcessRecord,
  ) {
    super(
      `${dataDir} is in use by another npm start (pid ${holder.pid}). Stop that one first, ` +
        'or give this one its own folder with LOCAL_DATA_DIR.',
    );
  }
}

export interface DataDirLock {
  file: string;
  /** Removes the lock if it is still ours. Synchronous, so it can run in an `exit` hook. */
  release(): void;
}

const ATTEMPTS = 5;

/** Takes the lock of `dataDir` (an existing folder) or throws `DataDirLockedError`. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const mine = currentProcessRecord();
  // Written whole under a private name, then linked into place: linking fails if the lock
  // exists, so nobody ever reads a half-written lock.
  const draft = `${file}.${process.pid}`;
  writeFileSync(draft, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        linkSync(draft, file);
        return { file, release: () => releaseIfMine(file, mine) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readRecordFile(file);
      if (holder && isRunning(holder)) throw new DataDirLockedError(dataDir, holder);
      takeOver(file, holder);
    }
  } finally {
    rmSync(draft, { force: true });
  }
  throw new Error(`Could not lock ${dataDir}: other processes kept taking its lock.`);
}

/**
 * Moves a stale lock aside. Renaming is atomic, but between reading the stale lock and
 * renaming it, a process starting at the same moment may have taken it over and written its
 * own: then that lock is put back, and the next attempt finds its owner running.
 */
function takeOver(file: string, stale: ProcessRecord | undefined): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it
    throw error;
  }
  const moved = readRecordFile(aside);
  if (moved && !sameProcess(moved, stale) && isRunning(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // a third process locked meanwhile; the next attempt finds it
    }
  }
  unlinkSync(aside);
}

function releaseIfMine(file: string, mine: ProcessRecord): void {
  if (sameProcess(readRecordFile(file), mine)) rmSync(file, { force: true });
}
