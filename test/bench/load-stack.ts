/**
 * The local stack as its own process group, for `npm run bench:load`: `npm start` on a data
 * folder and fixed ports (so clients and presigned URLs keep their addresses across restarts),
 * `kill -9` of the whole group (npm, node and DynamoDB Local's java), and a restart on the same
 * folder. An exit the harness did not cause is reported, and the stack is restarted for it too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface StackOptions {
  root: string;
  dataDir: string;
  port: number;
  sesPort: number;
  /** Where each start's output goes (`stack-<generation>.log`). */
  logDir: string;
  log: (message: string) => void;
  /** How long one start may take until `/health` answers. */
  startTimeoutMs: number;
}

export interface StackEndpoints {
  url: string;
  sesUrl: string;
  dynamoDbEndpoint: string;
}

export interface StackProcess {
  /** The current endpoints (DynamoDB Local's port changes with every start). */
  endpoints(): StackEndpoints;
  /** Starts it (first time) or again after a kill. Resolves once `/health` answers 200. */
  start(): Promise<void>;
  /** `kill -9` of the whole process group, then waits until none of its processes is left. */
  kill(): Promise<{ orphansKilled: number }>;
  /** SIGTERM, then SIGKILL after a grace period; waits for the group to end. */
  stop(): Promise<void>;
  /** Starts so far (1 = never restarted). */
  generation(): number;
  /** Exits the harness did not cause (e.g. a crash of the local service). */
  unexpectedExits(): { generation: number; code: number | null; signal: string | null; tail: string }[];
  /** Called when the stack exits by itself (the harness restarts it). */
  onUnexpectedExit(listener: () => void): void;
}

const TAIL = 4000;

export function stackProcess(options: StackOptions): StackProcess {
  let child: ChildProcess | undefined;
  let endpoints: StackEndpoints | undefined;
  let generation = 0;
  let expectingExit = false;
  let output = '';
  let logFile: WriteStream | undefined;
  const unexpected: { generation: number; code: number | null; signal: string | null; tail: string }[] = [];
  const listeners: (() => void)[] = [];

  const start = async () => {
    generation++;
    output = '';
    expectingExit = false;
    logFile?.end();
    logFile = createWriteStream(join(options.logDir, `stack-${generation}.log`));
    // Its own process group (detached), so `kill -9 -pgid` takes npm, node and java at once.
    const started = spawn('npm', ['start', '--silent'], {
      cwd: options.root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LOCAL_DATA_DIR: options.dataDir,
        PORT: String(options.port),
        SES_PORT: String(options.sesPort),
        LOCAL_RESET: '',
      },
    });
    child = started;
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-TAIL);
      logFile?.write(chunk);
    };
    started.stdout?.on('data', onData);
    started.stderr?.on('data', onData);
    const thisGeneration = generation;
    started.once('exit', (code, signal) => {
      if (expectingExit || thisGeneration !== generation) return;
      unexpected.push({ generation: thisGeneration, code, signal, tail: output });
      options.log(`the stack (start ${thisGeneration}) exited by itself: code ${code}, signal ${signal}`);
      for (const listener of listeners) listener();
    });
    const deadline = Date.now() + options.startTimeoutMs;
    const url = `http://127.0.0.1:${options.port}`;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`The stack exited while starting (code ${started.exitCode}):\n${output}`);
      }
      const dynamo = /DynamoDB Local at (http:\/\/\S+?),/.exec(output)?.[1];
      if (dynamo && (await healthy(url))) {
        endpoints = { url, sesUrl: `http://127.0.0.1:${options.sesPort}`, dynamoDbEndpoint: dynamo };
        return;
      }
      if (Date.now() > deadline) {
        await killGroup(started);
        throw new Error(`The stack did not answer /health within ${options.startTimeoutMs} ms:\n${output}`);
      }
      await sleep(200);
    }
  };

  const killGroup = async (target: ChildProcess) => {
    expectingExit = true;
    const pgid = target.pid as number;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    await waitUntil(() => groupMembers(pgid).length === 0, 30_000, `process group ${pgid} to end`);
  };

  return {
    endpoints() {
      if (!endpoints) throw new Error('The stack has not started.');
      return endpoints;
    },
    start,
    async kill() {
      if (!child) return { orphansKilled: 0 };
      await killGroup(child);
      // Anything still holding the data folder (e.g. a java that left the group) would block
      // the restart on DynamoDB Local's files: stop it too, and say so.
      const orphans = processesMentioning(options.dataDir);
      for (const pid of orphans) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
      if (orphans.length > 0) options.log(`killed ${orphans.length} orphan(s) holding the data folder`);
      await waitUntil(
        () => processesMentioning(options.dataDir).length === 0,
        30_000,
        'orphans of the data folder to end',
      );
      return { orphansKilled: orphans.length };
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        logFile?.end();
        return;
      }
      expectingExit = true;
      const pgid = child.pid as number;
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // already gone
      }
      try {
        await waitUntil(() => groupMembers(pgid).length === 0, 15_000, 'the stack to stop');
      } catch {
        await killGroup(child);
      }
      logFile?.end();
    },
    generation: () => generation,
    unexpectedExits: () => unexpected,
    onUnexpectedExit: (listener) => listeners.push(listener),
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    await response.text();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Live (non-zombie) processes of a process group, from Linux `/proc`. */
function groupMembers(pgid: number): number[] {
  return procEntries()
    .filter((p) => p.pgrp === pgid && p.state !== 'Z')
    .map((p) => p.pid);
}

/** Live processes whose command line mentions `text` (e.g. java's `-dbPath <dataDir>/dynamodb`). */
function processesMentioning(text: string): number[] {
  return procEntries()
    .filter((p) => p.state !== 'Z' && p.pid !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

function procEntries(): { pid: number; state: string; pgrp: number }[] {
  const entries: { pid: number; state: string; pgrp: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      entries.push({ pid: Number(name), state: state ?? '', pgrp: Number(pgrp) });
    } catch {
      // the process ended while we looked
    }
  }
  return entries;
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
