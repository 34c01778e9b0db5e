/**
 * The local cloud, composed: DynamoDB Local with the table, the local JWT key, the virtual
 * clock and the local API Gateway in front of the real API handler. `main.ts` runs it for
 * `npm start`; end-to-end tests start it in process.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManualClock } from '../../functions/domain/clock.js';
import { buildApiHandler } from '../../functions/http/api-handler.js';
import { createApiDeps } from '../../functions/wiring.js';
import { ensureIdempotencyTable, ensureTable } from './create-table.js';
import {
  createLocalDynamoDbClient,
  type DynamoDbLocal,
  LOCAL_AWS_REGION,
  startDynamoDbLocal,
} from './dynamodb-local.js';
import { type HttpHandler, type RunningHttpServer, startLocalHttpServer } from './http-adapter.js';
import { createLocalAuth, type LocalAuth } from './local-auth.js';
import { clockRoute, tokenRoute } from './local-routes.js';
import { createVirtualClock, type VirtualClock } from './virtual-clock.js';

export const LOCAL_TABLE_NAME = 'cpor-claims-local';

export interface LocalCloudOptions {
  /** Where keys, the cursor secret, the clock offset and the DynamoDB files live. Unset: nothing is kept. */
  dataDir?: string;
  /** Keep DynamoDB's data in memory even with a `dataDir`. */
  inMemory?: boolean;
  /** Use this DynamoDB (e.g. the test run's DynamoDB Local) instead of starting one. */
  dynamoDbEndpoint?: string;
  /** @default LOCAL_TABLE_NAME */
  tableName?: string;
  /** @default 0 (the OS picks) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  businessCalendar?: { country?: string; region?: string; timeZone?: string };
  /**
   * A clock that only moves when the caller moves it (tests). Without it, the virtual clock
   * of `dataDir` is used: real time plus a persisted offset, brought up to date per request.
   */
  clock?: ManualClock;
}

export interface LocalCloud {
  /** The API's base URL. */
  url: string;
  dynamoDbEndpoint: string;
  tableName: string;
  auth: LocalAuth;
  /** The clock the service reads. */
  clock: ManualClock;
  /** The virtual clock behind `clock`, absent when a fixed clock was passed in. */
  virtualClock?: VirtualClock;
  /** The DynamoDB Local this cloud started (absent when an endpoint was given). */
  dynamoDb?: DynamoDbLocal;
  /** Closes the server, then stops DynamoDB Local if this cloud started it. */
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const { dataDir } = options;
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  const idempotencyTableName = `${tableName}-idempotency`;

  const dynamoDb =
    options.dynamoDbEndpoint === undefined
      ? await startDynamoDbLocal(
          dataDir === undefined || options.inMemory ? {} : { dbPath: join(dataDir, 'dynamodb') },
        )
      : undefined;
  let server: RunningHttpServer | undefined;
  try {
    const dynamoDbEndpoint = options.dynamoDbEndpoint ?? dynamoDb?.endpoint;
    if (dynamoDbEndpoint === undefined) throw new Error('No DynamoDB endpoint.');
    const client = createLocalDynamoDbClient(dynamoDbEndpoint);
    try {
      await ensureTable(client, tableName);
      await ensureIdempotencyTable(client, idempotencyTableName);
    } finally {
      client.destroy();
    }

    const auth = await createLocalAuth(dataDir === undefined ? {} : { dataDir });
    const virtualClock =
      options.clock === undefined ? createVirtualClock(dataDir === undefined ? {} : { dataDir }) : undefined;
    const clock = options.clock ?? virtualClock?.clock;
    if (clock === undefined) throw new Error('No clock.');
    const currentTime = (): Date => virtualClock?.sync() ?? clock.now();
    const api = buildApiHandler(
      createApiDeps({
        tableName,
        idempotencyTableName,
        dynamoDbEndpoint,
        region: LOCAL_AWS_REGION,
        cursorSecret: cursorSecret(dataDir),
        clock,
        ...(options.businessCalendar && { businessCalendar: options.businessCalendar }),
      }),
    );
    const withCurrentTime: HttpHandler = (event, context) => {
      currentTime();
      return api(event, context);
    };

    server = await startLocalHttpServer({
      handlers: { api: withCurrentTime },
      auth,
      localRoutes: [tokenRoute(auth), clockRoute(currentTime)],
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
    });
    const running = server;
    let stopping: Promise<void> | undefined;
    return {
      url: running.url,
      dynamoDbEndpoint,
      tableName,
      auth,
      clock,
      ...(virtualClock && { virtualClock }),
      ...(dynamoDb && { dynamoDb }),
      stop() {
        stopping ??= (async () => {
          try {
            await running.close();
          } finally {
            await dynamoDb?.stop();
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    await server?.close();
    await dynamoDb?.stop();
    throw error;
  }
}

/** The HMAC key of list cursors: kept in the data folder so cursors survive restarts. */
function cursorSecret(dataDir: string | undefined): string {
  if (dataDir === undefined) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'cursor-secret');
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${secret}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  return secret;
}
