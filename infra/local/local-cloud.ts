/**
 * The local cloud, composed: DynamoDB Local with the table, s3rver with the PoE bucket (its
 * upload events forwarded to the real upload verifier), the local JWT key, the virtual
 * clock and the local API Gateway in front of the real API handler. `main.ts` runs it for
 * `npm start`; end-to-end tests start it in process.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3DocumentRetention } from '../../functions/adapters/s3-document-objects.js';
import type { ManualClock } from '../../functions/domain/clock.js';
import type { DocumentPolicy } from '../../functions/domain/document.js';
import {
  buildVerifyUploadHandler,
  type VerifyUploadHandler,
} from '../../functions/events/verify-upload-handler.js';
import { buildApiHandler } from '../../functions/http/api-handler.js';
import { buildConsentHandler } from '../../functions/http/consent-handler.js';
import { SERVICE_NAME } from '../../functions/observability.js';
import {
  createApiDeps,
  createConsentDeps,
  createS3Client,
  createVerifyUploadDeps,
} from '../../functions/wiring.js';
import { ensureIdempotencyTable, ensureTable } from './create-table.js';
import {
  createLocalDynamoDbClient,
  type DynamoDbLocal,
  LOCAL_AWS_REGION,
  startDynamoDbLocal,
} from './dynamodb-local.js';
import {
  type HttpHandler,
  type LocalRoute,
  type RunningHttpServer,
  startLocalHttpServer,
} from './http-adapter.js';
import { type LifecycleRuntime, startLifecycleRuntime } from './lifecycle-runtime.js';
import { createLocalAuth, type LocalAuth } from './local-auth.js';
import { clockRoute, healthRoute, tokenRoute } from './local-routes.js';
import { persistedSecret } from './local-secrets.js';
import { forwardS3Events, type S3EventForwarder } from './s3-event-forwarder.js';
import { type LocalS3, startLocalS3 } from './s3-local.js';
import { createVirtualClock, type VirtualClock } from './virtual-clock.js';

export const LOCAL_TABLE_NAME = 'cpor-claims-local';
export const LOCAL_DOCUMENTS_BUCKET = 'cpor-claims-local-documents';
/** DynamoDB Local's pid and port while it runs, in the data folder (see `startDynamoDbLocal`). */
export const DYNAMODB_PROCESS_FILE = 'dynamodb-local.json';

export interface LocalCloudOptions {
  /** Where keys, the cursor secret, the clock offset, the DynamoDB files and the S3 objects (`s3/`) live. Unset: nothing is kept. */
  dataDir?: string;
  /** Keep no data even with a `dataDir`: DynamoDB in memory, S3 objects in a temporary folder. */
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
  /** Overrides of the document policy (allowed types, sizes, counts, URL lifetimes). */
  documentPolicy?: Partial<DocumentPolicy>;
  /**
   * Behave as with GuardDuty Malware Protection: an upload becomes available only once tagged
   * `GuardDutyMalwareScanStatus=NO_THREATS_FOUND`. Nothing scans locally, so a test (or a
   * person) sets the tag and delivers the `ObjectTagging:Put` event itself.
   *
   * @default false
   */
  malwareScanning?: boolean;
  /**
   * Log level of the event-driven functions (the upload verifier logs each outcome at INFO).
   *
   * @default 'WARN'
   */
  logLevel?: LogLevel;
  /**
   * Run the lifecycle by itself: the outbox relay on DynamoDB Local's stream, emails to
   * aws-ses-v2-local, claim timers on aws-local-stepfunctions, `POST /_local/clock`.
   *
   * @default true
   */
  lifecycle?: boolean;
  /** The local SES port (`SES_PORT`). @default 0 (the OS picks) */
  sesPort?: number;
  /** The API handler's DynamoDB client, e.g. with counting middleware (benchmarks). */
  apiDynamoDbClient?: DynamoDBClient;
  /** The outbox relay's DynamoDB Streams client, e.g. with injected stream errors (tests). */
  streamsClient?: DynamoDBStreamsClient;
  /** Browser origins allowed by CORS (`CORS_ORIGINS`), as the cloud stage's `portalOrigins`. @default none */
  corsOrigins?: readonly string[];
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
  /** s3rver with the PoE bucket; presigned URLs point here. */
  s3: {
    endpoint: string;
    bucketName: string;
    /** Resolves once the upload verifier handled every upload event so far. */
    settled(): Promise<void>;
  };
  /** The lifecycle runtime (SES inbox, events, timers), unless `lifecycle: false`. */
  lifecycle?: LifecycleRuntime;
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
          dataDir === undefined
            ? {}
            : {
                ...(!options.inMemory && { dbPath: join(dataDir, 'dynamodb') }),
                processRecordFile: join(dataDir, DYNAMODB_PROCESS_FILE),
              },
        )
      : undefined;
  let server: RunningHttpServer | undefined;
  let s3: LocalS3 | undefined;
  let forwarder: S3EventForwarder | undefined;
  let lifecycle: LifecycleRuntime | undefined;
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
    s3 = await startLocalS3({
      bucketName: LOCAL_DOCUMENTS_BUCKET,
      ...(dataDir !== undefined && !options.inMemory && { dataDir }),
      host: options.host ?? '127.0.0.1',
    });
    const documents = {
      documentsBucketName: s3.bucketName,
      s3Endpoint: s3.endpoint,
      ...(options.documentPolicy && { documentPolicy: options.documentPolicy }),
    };
    const api = buildApiHandler(
      createApiDeps({
        tableName,
        idempotencyTableName,
        dynamoDbEndpoint,
        region: LOCAL_AWS_REGION,
        cursorSecret: persistedSecret(dataDir, 'cursor-secret'),
        clock,
        ...(options.apiDynamoDbClient && { dynamoDbClient: options.apiDynamoDbClient }),
        ...(options.businessCalendar && { businessCalendar: options.businessCalendar }),
        ...documents,
      }),
    );
    const verifyUpload = buildVerifyUploadHandler(
      createVerifyUploadDeps({
        tableName,
        dynamoDbEndpoint,
        region: LOCAL_AWS_REGION,
        clock,
        ...documents,
        malwareScanning: options.malwareScanning ?? false,
        logger: new Logger({ serviceName: SERVICE_NAME, logLevel: options.logLevel ?? 'WARN' }),
      }),
    );
    const verifyUploadNow: VerifyUploadHandler = (event, context) => {
      currentTime();
      return verifyUpload(event, context);
    };
    const verifierLogger = new Logger({ serviceName: SERVICE_NAME });
    forwarder = forwardS3Events(s3, verifyUploadNow, (error) =>
      verifierLogger.error('Upload verification failed after every retry', { error: error as Error }),
    );
    const withCurrentTime: HttpHandler = (event, context) => {
      currentTime();
      return api(event, context);
    };

    const consent = buildConsentHandler(
      createConsentDeps({
        tableName,
        dynamoDbEndpoint,
        region: LOCAL_AWS_REGION,
        clock,
        ...(options.businessCalendar && { businessCalendar: options.businessCalendar }),
      }),
    );
    // The lifecycle routes exist once the runtime does; it needs the server's URL for links.
    const lifecycleRoutes: LocalRoute[] = (
      ['POST /_local/clock', 'GET /_local/events', 'GET /_local/timers'] as const
    ).map((key) => {
      const [method, path] = key.split(' ') as ['GET' | 'POST', string];
      return {
        method,
        path,
        handle: (request) => {
          const route = lifecycle?.routes.find((r) => r.method === method && r.path === path);
          if (!route) return Promise.resolve({ statusCode: 404, body: 'The lifecycle runtime is off.' });
          return route.handle(request);
        },
      };
    });
    server = await startLocalHttpServer({
      handlers: {
        api: withCurrentTime,
        consent: (event, context) => {
          currentTime();
          return consent(event, context);
        },
      },
      auth,
      localRoutes: [
        tokenRoute(auth),
        clockRoute(currentTime),
        // Locally /health also covers what the cloud watches with alarms: relay and timers.
        healthRoute(() => lifecycle?.health() ?? { status: 'ok' }),
        ...lifecycleRoutes,
      ],
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      ...(options.corsOrigins && { corsOrigins: options.corsOrigins }),
    });
    if (options.lifecycle ?? true) {
      lifecycle = await startLifecycleRuntime({
        dynamoDbEndpoint,
        tableName,
        clock,
        ...(virtualClock && {
          advanceClock: (ms: number) => void virtualClock.advance(ms),
          syncClock: () => void virtualClock.sync(),
        }),
        publicBaseUrl: server.url.replace('127.0.0.1', 'localhost'),
        ...(dataDir !== undefined && !options.inMemory && { dataDir }),
        sesPort: options.sesPort ?? 0,
        ...(options.businessCalendar && { businessCalendar: options.businessCalendar }),
        ...(options.streamsClient && { streamsClient: options.streamsClient }),
        documents: new S3DocumentRetention(createS3Client(documents), documents.documentsBucketName),
      });
    }
    const runningLifecycle = lifecycle;
    const running = server;
    const runningS3 = s3;
    const runningForwarder = forwarder;
    let stopping: Promise<void> | undefined;
    return {
      url: running.url,
      dynamoDbEndpoint,
      tableName,
      auth,
      clock,
      ...(virtualClock && { virtualClock }),
      ...(dynamoDb && { dynamoDb }),
      ...(runningLifecycle && { lifecycle: runningLifecycle }),
      s3: {
        endpoint: runningS3.endpoint,
        bucketName: runningS3.bucketName,
        settled: () => runningForwarder.settled(),
      },
      stop() {
        stopping ??= (async () => {
          try {
            await running.close();
            await runningLifecycle?.stop();
            // Verifications in flight still need S3 and DynamoDB.
            await runningForwarder.stop();
          } finally {
            try {
              await runningS3.stop();
            } finally {
              await dynamoDb?.stop();
            }
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    await server?.close();
    await lifecycle?.stop();
    await forwarder?.stop();
    await s3?.stop();
    await dynamoDb?.stop();
    throw error;
  }
}
