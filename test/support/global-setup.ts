/**
 * Global setup of the `integration` and `e2e` projects: ONE DynamoDB Local (in memory) for the
 * whole run, its endpoint handed to test files through `inject('dynamoDbEndpoint')` and the
 * `DYNAMODB_ENDPOINT` variable. Test files isolate themselves with a table each
 * (`createTestTable`). With `DYNAMODB_ENDPOINT` already set, that DynamoDB is used instead.
 */
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the run's DynamoDB Local. */
    dynamoDbEndpoint: string;
  }
}

/**
 * Global setups run in the main vitest process, once per project that declares them; the
 * state lives on `globalThis` so projects share one DynamoDB Local, stopped by the last teardown.
 */
interface Shared {
  users: number;
  endpoint: Promise<string>;
  local?: DynamoDbLocal;
}
const KEY = Symbol.for('cpor.test.dynamodb-local');
const registry = globalThis as typeof globalThis & { [KEY]?: Shared };

function acquire(): Promise<string> {
  const existing = registry[KEY];
  if (existing) {
    existing.users++;
    return existing.endpoint;
  }
  const shared: Shared = { users: 1, endpoint: Promise.resolve('') };
  const external = process.env.DYNAMODB_ENDPOINT;
  shared.endpoint = external
    ? Promise.resolve(external)
    : startDynamoDbLocal().then((local) => {
        shared.local = local;
        return local.endpoint;
      });
  registry[KEY] = shared;
  return shared.endpoint;
}

async function release(): Promise<void> {
  const shared = registry[KEY];
  if (!shared) return;
  shared.users--;
  if (shared.users > 0) return;
  delete registry[KEY];
  if (shared.local) {
    // Only our own endpoint is forgotten; a given one stays for the next run (watch mode).
    delete process.env.DYNAMODB_ENDPOINT;
    await shared.local.stop();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const endpoint = await acquire();
  project.provide('dynamoDbEndpoint', endpoint);
  // Forked workers start after global setup and inherit the environment.
  process.env.DYNAMODB_ENDPOINT = endpoint;
  return release;
}
