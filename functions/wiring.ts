/**
 * Builds the service's ports from plain settings. The Lambda entries call it with the
 * environment; the local cloud and the tests call it with emulator endpoints and a virtual clock.
 */

import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConsentTokenReader, ConsentTokens } from './adapters/consent-tokens.js';
import { detectContentType, measureZipArchive } from './adapters/content-type-detector.js';
import { DynamoDbClaimStore } from './adapters/dynamodb-claim-store.js';
import { DynamoDbDocumentStore } from './adapters/dynamodb-document-store.js';
import { DynamoDbEmailLedger } from './adapters/dynamodb-email-ledger.js';
import { S3DocumentObjects, S3DocumentRetention } from './adapters/s3-document-objects.js';
import { type BusinessCalendarConfig, createBusinessCalendar } from './domain/business-calendar.js';
import { type Clock, systemClock } from './domain/clock.js';
import { type DocumentPolicy, documentPolicy } from './domain/document.js';
import type { VerifyUploadHandlerDeps } from './events/verify-upload-handler.js';
import type { ApiDeps } from './http/api-handler.js';
import { SERVICE_NAME } from './observability.js';
import type { DocumentRetention, EventPublisher, Mailer, TimerScheduler } from './use-cases/relay-outbox.js';

export interface ServiceSettings {
  tableName: string;
  /** The Powertools idempotency table; unset: `Idempotency-Key` is ignored (not recommended). */
  idempotencyTableName?: string;
  /** Endpoint override for DynamoDB Local; unset in the cloud. */
  dynamoDbEndpoint?: string;
  region?: string;
  /** The list cursors' HMAC key (API only). */
  cursorSecret?: string;
  clock?: Clock;
  businessCalendar?: Partial<BusinessCalendarConfig>;
  logger?: Logger;
  metrics?: Metrics;
  tracer?: Tracer;
  /** Pre-built client, e.g. with fault-injection middleware in tests. */
  dynamoDbClient?: DynamoDBClient;
  /** The PoE bucket (API and upload verifier). */
  documentsBucketName?: string;
  /** Endpoint override for the local S3 (s3rver); unset in the cloud. */
  s3Endpoint?: string;
  /** Overrides of the default document policy (types, sizes, counts, URL lifetimes). */
  documentPolicy?: Partial<DocumentPolicy>;
  /** Upload verifier: wait for GuardDuty's malware scan tag before `available`. */
  malwareScanning?: boolean;
}

type DynamoDbSettings = Pick<ServiceSettings, 'dynamoDbEndpoint' | 'region' | 'dynamoDbClient'>;

export function createDynamoDbClient(settings: DynamoDbSettings): DynamoDBClient {
  return (
    settings.dynamoDbClient ??
    new DynamoDBClient({
      ...(settings.region && { region: settings.region }),
      ...(settings.dynamoDbEndpoint && {
        endpoint: settings.dynamoDbEndpoint,
        region: settings.region ?? 'us-east-1',
        // DynamoDB Local accepts any credentials; fixed ones keep the local run free of AWS config.
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    })
  );
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

type S3Settings = Pick<ServiceSettings, 's3Endpoint' | 'region'>;

export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    ...(settings.region && { region: settings.region }),
    ...(settings.s3Endpoint && {
      endpoint: settings.s3Endpoint,
      region: settings.region ?? 'us-east-1',
      // s3rver answers on one host, not on bucket subdomains.
      forcePathStyle: true,
      // s3rver accepts only its built-in key pair (it checks the key id, not the signature).
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
  });
}

/** The PoE bucket adapter, with the second client its POST signing needs. */
export function createDocumentObjects(settings: ServiceSettings): S3DocumentObjects {
  if (!settings.documentsBucketName) throw new Error('The documents bucket name is missing.');
  return new S3DocumentObjects({
    client: createS3Client(settings),
    postSigner: createS3Client(settings),
    bucketName: settings.documentsBucketName,
  });
}

export function createApiDeps(settings: ServiceSettings): ApiDeps {
  if (!settings.cursorSecret) throw new Error('The API needs a cursor secret.');
  const client = createDynamoDbClient(settings);
  const documentClient = createDocumentClient(client);
  const store = new DynamoDbClaimStore(documentClient, settings.tableName);
  return {
    store,
    documents: new DynamoDbDocumentStore(documentClient, settings.tableName, store),
    objects: createDocumentObjects(settings),
    documentPolicy: documentPolicy(settings.documentPolicy),
    ...(settings.idempotencyTableName && {
      idempotencyStore: new DynamoDBPersistenceLayer({
        tableName: settings.idempotencyTableName,
        awsSdkV3Client: client,
      }),
    }),
    clock: settings.clock ?? systemClock,
    calendar: createBusinessCalendar(settings.businessCalendar),
    cursorSecret: settings.cursorSecret,
    logger: settings.logger ?? new Logger({ serviceName: SERVICE_NAME }),
    ...(settings.metrics && { metrics: settings.metrics }),
    ...(settings.tracer && { tracer: settings.tracer }),
  };
}

/** The expire-deadline function's ports (also used by the local timer runner). */
export function createTimerDeps(settings: ServiceSettings) {
  const client = createDynamoDbClient(settings);
  return {
    store: new DynamoDbClaimStore(createDocumentClient(client), settings.tableName),
    clock: settings.clock ?? systemClock,
    calendar: createBusinessCalendar(settings.businessCalendar),
  };
}

/** The upload verifier's ports (the Lambda of S3 upload events; locally fed by s3rver's events). */
export function createVerifyUploadDeps(settings: ServiceSettings): VerifyUploadHandlerDeps {
  const documentClient = createDocumentClient(createDynamoDbClient(settings));
  const store = new DynamoDbClaimStore(documentClient, settings.tableName);
  return {
    documents: new DynamoDbDocumentStore(documentClient, settings.tableName, store),
    objects: createDocumentObjects(settings),
    detectContentType,
    inspectArchive: measureZipArchive,
    documentPolicy: documentPolicy(settings.documentPolicy),
    clock: settings.clock ?? systemClock,
    malwareScanning: settings.malwareScanning ?? false,
    logger: settings.logger ?? new Logger({ serviceName: SERVICE_NAME }),
    ...(settings.metrics && { metrics: settings.metrics }),
    ...(settings.tracer && { tracer: settings.tracer }),
  };
}

/** The consent pages' ports. */
export function createConsentDeps(settings: ServiceSettings) {
  const documentClient = createDocumentClient(createDynamoDbClient(settings));
  return {
    tokens: new ConsentTokenReader(documentClient, settings.tableName),
    store: new DynamoDbClaimStore(documentClient, settings.tableName),
    clock: settings.clock ?? systemClock,
    calendar: createBusinessCalendar(settings.businessCalendar),
    logger: settings.logger ?? new Logger({ serviceName: SERVICE_NAME }),
  };
}

export interface RelaySettings extends ServiceSettings {
  consentSecret: string;
  publicBaseUrl: string;
  timers: TimerScheduler;
  mailer: Mailer;
  publisher: EventPublisher;
  /** Default: tags in the documents bucket (`documentsBucketName`, `s3Endpoint`). */
  documents?: DocumentRetention;
}

function documentRetention(settings: ServiceSettings): DocumentRetention {
  if (!settings.documentsBucketName) throw new Error('The documents bucket name is missing.');
  return new S3DocumentRetention(createS3Client(settings), settings.documentsBucketName);
}

/** The outbox relay's ports; the timer, mail and event adapters differ between cloud and local. */
export function createRelayDeps(settings: RelaySettings) {
  const documentClient = createDocumentClient(createDynamoDbClient(settings));
  return {
    timers: settings.timers,
    documents: settings.documents ?? documentRetention(settings),
    mailer: settings.mailer,
    publisher: settings.publisher,
    ledger: new DynamoDbEmailLedger(documentClient, settings.tableName),
    clock: settings.clock ?? systemClock,
    consentLinks: new ConsentTokens(
      documentClient,
      settings.tableName,
      settings.consentSecret,
      settings.publicBaseUrl,
    ),
    logger: settings.logger ?? new Logger({ serviceName: SERVICE_NAME }),
  };
}
