/**
 * DynamoDB Local (AWS's own Java implementation), started from the jar that the npm package
 * `amplify-dynamodb-simulator` ships. The package's own launcher wants Amplify project files,
 * so the jar is run directly with the package's `emulator/` folder as working directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  commandLineOf,
  isRunning,
  type ProcessRecord,
  readRecordFile,
  recordOf,
  sameProcess,
} from './local-process.js';

/** DynamoDB Local accepts any credentials; fixed ones keep the local run free of AWS config. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_AWS_REGION = 'us-east-1';

export interface DynamoDbLocalOptions {
  /** Keep the data in this folder (`-dbPath`); created when missing. Unset: `-inMemory`. */
  dbPath?: string;
  /** A fixed port; by default the OS picks a free one. */
  port?: number;
  /** How long to wait for the first answer (java takes well over 30 s on a busy machine). @default 120000 */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5000 */
  stopGraceMs?: number;
  /** The `java` executable. @default 'java' */
  javaPath?: string;
  /**
   * Where to record java's pid and port while it runs (`npm start`: in the data folder). A
   * java still running from a record left by a crash of its node process is stopped first.
   */
  processRecordFile?: string;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  endpoint: string;
  port: number;
  /** The java process id. */
  pid: number;
  /** Settles when the java process has exited, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops java (SIGTERM, then SIGKILL after the grace period) and waits until it has exited. */
  stop(): Promise<void>;
}

/** The `emulator/` folder of `amplify-dynamodb-simulator`, resolved like any import. */
export function dynamoDbLocalDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

/** A port that was free a moment ago: the OS picks it for a listener on port 0. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('The OS returned no TCP port.');
  return address.port;
}

/** A client for DynamoDB Local at `endpoint`, with the fixed local credentials and region. */
export function createLocalDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_AWS_REGION, credentials: LOCAL_AWS_CREDENTIALS });
}

/** Every running java child, so an exiting node process (even on a crash) takes them along. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' runs on normal exit, process.exit() and uncaught exceptions; only synchronous
  // work is possible here, so the children get SIGKILL rather than a graceful stop.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

const TAIL_BYTES = 4096;
const PORT_ATTEMPTS = 3;

/**
 * Starts DynamoDB Local and resolves once it answers `ListTables`. `-sharedDb` makes every
 * credential and region see the same tables (otherwise DynamoDB Local keeps one database
 * per access key and region, and a client with other credentials would see no table).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (options.processRecordFile !== undefined) {
    await stopOrphanedDynamoDbLocal(options.processRecordFile, options.stopGraceMs);
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await startOnPort(port, options);
    } catch (error) {
      lastError = error;
      // Another process may have taken the port between our probe and java's bind.
      const portTaken =
        error instanceof DynamoDbLocalStartError && /address already in use/i.test(error.output);
      if (options.port !== undefined || !portTaken) throw error;
    }
  }
  throw lastError;
}

/** DynamoDB Local did not come up; `output` is the tail of what java printed. */
export class DynamoDbLocalStartError extends Error {
  override readonly name = 'DynamoDbLocalStartError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\n--- java output (tail) ---\n${output}` : message);
  }
}

async function startOnPort(port: number, options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const cwd = dynamoDbLocalDirectory();
  const storage = options.dbPath === undefined ? ['-inMemory'] : ['-dbPath', resolve(options.dbPath)];
  if (options.dbPath !== undefined) mkdirSync(options.dbPath, { recursive: true });
  const args = [
    '-Djava.library.path=./DynamoDBLocal_lib',
    '-jar',
    'DynamoDBLocal.jar',
    '-port',
    String(port),
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
  ];

  installExitHook();
  const child = spawn(options.javaPath ?? 'java', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  // Recorded at once: a crash of node from here on leaves java running with this record.
  const recordFile = options.processRecordFile;
  const record: JavaRecord | undefined =
    child.pid === undefined ? undefined : { ...recordOf(child.pid), port };
  if (recordFile !== undefined && record !== undefined) {
    writeFileSync(recordFile, `${JSON.stringify(record)}\n`);
  }

  let tail = '';
  const keepTail = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      if (recordFile !== undefined && sameProcess(readRecordFile(recordFile), record)) {
        rmSync(recordFile, { force: true });
      }
      resolveExit({ code, signal });
    });
  });
  const spawnError = new Promise<Error>((resolveError) => child.once('error', resolveError));

  const stopGraceMs = options.stopGraceMs ?? 5000;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
        await exited;
        clearTimeout(killTimer);
      }
      running.delete(child);
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, options.startTimeoutMs ?? 120_000, exited, spawnError, () => tail);
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new DynamoDbLocalStartError('java started without a pid.', tail);
  return { endpoint, port, pid: child.pid, exited, stop };
}

interface JavaRecord extends ProcessRecord {
  port: number;
}

/**
 * Stops the DynamoDB Local recorded in `recordFile` if it still runs: a `kill -9` of node
 * (or a power cut of the terminal) leaves java running, holding the database files. The pid
 * is only signalled while its command line is still DynamoDB Local on the recorded port, so
 * a recycled pid is never killed.
 */
export async function stopOrphanedDynamoDbLocal(recordFile: string, graceMs = 5000): Promise<void> {
  const record = readRecordFile<JavaRecord>(recordFile);
  if (record !== undefined && isRunning(record) && isDynamoDbLocal(record)) {
    process.kill(record.pid, 'SIGTERM');
    if (!(await exitedWithin(record, graceMs))) {
      process.kill(record.pid, 'SIGKILL');
      await exitedWithin(record, graceMs);
    }
    if (isRunning(record))
      throw new Error(`DynamoDB Local (pid ${record.pid}) left by a crash does not stop.`);
  }
  rmSync(recordFile, { force: true });
}

function isDynamoDbLocal(record: JavaRecord): boolean {
  const args = commandLineOf(record.pid);
  if (args === undefined) return false; // no /proc: never kill what cannot be identified
  const port = args.indexOf('-port');
  return args.includes('DynamoDBLocal.jar') && port !== -1 && args[port + 1] === String(record.port);
}

/** Waits for a process that is not our child (no exit event) to end: /proc is all there is. */
async function exitedWithin(record: ProcessRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(record)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function waitUntilAnswering(
  endpoint: string,
  timeoutMs: number,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  spawnError: Promise<Error>,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
  let failure: Error | undefined;
  void exited.then(({ code, signal }) => {
    failure ??= new DynamoDbLocalStartError(
      `DynamoDB Local exited before it answered (code ${code}, signal ${signal}).`,
      output(),
    );
  });
  void spawnError.then((error) => {
    failure ??= new DynamoDbLocalStartError(
      `Could not run java (is Java 17 installed?): ${error.message}`,
      output(),
    );
  });
  try {
    for (;;) {
      if (failure) throw failure;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (failure) throw failure;
        if (Date.now() >= deadline) {
          throw new DynamoDbLocalStartError(
            `DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms (last error: ${(error as Error).message}).`,
            output(),
          );
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.destroy();
  }
}
