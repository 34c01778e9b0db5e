/**
 * Runs a function bundle as Lambda would: in its own Node.js process (the `node` of this run,
 * which is the Lambda runtime's major version), with exactly the environment it is given,
 * invoked one event at a time. The bundle is loaded once (its cold start); an error it throws
 * comes back as Lambda reports it (`errorType`, `errorMessage`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNTIME = join(dirname(fileURLToPath(import.meta.url)), 'lambda-sandbox-runtime.mjs');

/** What a failed invocation reports (Lambda's `FunctionError` payload). */
export interface InvocationError {
  errorType: string;
  errorMessage: string;
  stack?: string;
}

export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  constructor(
    readonly functionName: string,
    readonly error: InvocationError,
  ) {
    super(`${functionName} failed: ${error.errorType}: ${error.errorMessage}\n${error.stack ?? ''}`);
  }
}

export interface LambdaSandbox {
  readonly functionName: string;
  /** Invokes the handler; rejects with `FunctionError` when the handler throws. */
  invoke<T = unknown>(event: unknown, timeoutMs?: number): Promise<T>;
  /** What the function wrote to stdout and stderr so far (its log lines). */
  output(): string;
  stop(): Promise<void>;
}

type Message =
  | { type: 'ready' }
  | { type: 'initError'; error: InvocationError }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: InvocationError };

/**
 * Starts the bundle in `bundleDir` (`index.mjs` exporting `handler`) with `environment` as the
 * process's whole environment, and resolves once its module (the function's init) has loaded.
 */
export async function startLambdaSandbox(options: {
  functionName: string;
  bundleDir: string;
  environment: Record<string, string>;
}): Promise<LambdaSandbox> {
  const { functionName } = options;
  const { NODE_OPTIONS, ...rest } = options.environment;
  const child: ChildProcess = fork(RUNTIME, [options.bundleDir, functionName], {
    env: rest,
    // NODE_OPTIONS as the template sets it (e.g. --enable-source-maps) applies to the runtime.
    execArgv: NODE_OPTIONS ? NODE_OPTIONS.split(/\s+/).filter(Boolean) : [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let exited = false;
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: Message) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'initError') reject(new FunctionError(functionName, message.error));
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.type === 'result') waiter?.resolve(message.result);
        else waiter?.reject(new FunctionError(functionName, message.error));
      }
    });
    child.on('exit', (code) => {
      exited = true;
      const error = new Error(`${functionName} exited (${code}) before answering:\n${output}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  await ready;
  return {
    functionName,
    invoke<T>(event: unknown, timeoutMs = 60_000) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ type: 'invoke', id, event, timeoutMs });
      });
    },
    output: () => output,
    async stop() {
      if (exited) return;
      const gone = once(child, 'exit');
      child.kill();
      await gone;
    },
  };
}
