/**
 * The composition root: every adapter of the service is built here, from typed settings per
 * function. The Lambda entries call these builders with settings read from the environment
 * (`functions/config.ts`); the local cloud and the tests call the same builders with emulator
 * endpoints (or pre-built clients), a virtual clock and local stand-ins for a port.
 */

import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConsentTokenReader, ConsentTokens } from './adapters/consent-tokens.js';
import { detectContentType, measureZipArchive } from './adapters/content-type-detector.js';
import { DynamoDbClaimStore } from './adapters/dynamodb-claim-store.js';
import { DynamoDbDocumentStore } from './adapters/dynamodb-document-store.js';
import { DynamoDbEmailLedger } from './adapters/dynamodb-email-ledger.js';
import { EventBridgePublisher } from './adapters/eventbridge-publisher.js';
import { S3DocumentObjects, S3DocumentRetention } from './adapters/s3-document-objects.js';
import { SesMailer } from './adapters/ses-mailer.js';
import { StepFunctionsTimerScheduler } from './adapters/sfn-timer-scheduler.js';
import {
  type BusinessCalendarConfig,
  createBusinessCalendar,
  DEFAULT_BUSINESS_CALENDAR,
} from './domain/business-calendar.js';
import { type Clock, systemClock } from './domain/clock.js';
import { type DocumentPolicy, documentPolicy } from './domain/document.js';
import type { DocumentRetention } from './domain/ports/documents.js';
import type { EventPublisher, TimerScheduler } from './domain/ports/outbox.js';
import { defaultPortalUrl } from './emails/portal-links.js';
import type { EmailSettings } from './emails/templates.js';
import type { ExpireDeadlineHandlerDeps } from './events/expire-deadline-handler.js';
import type { RelayHandlerDeps } from './events/outbox-relay-handler.js';
import type { VerifyUploadHandlerDeps } from './events/verify-upload-handler.js';
import type { Observability } from './handler-stack.js';
import type { ApiDeps } from './http/api-handler.js';
import { configureIdentityClaims } from './http/auth.js';
import type { ConsentHandlerDeps } from './http/consent-handler.js';
import type { IdentityClaimMapping } from './http/identity-claims.js';
import { SERVICE_NAME } from './observability.js';

/**
 * Where the AWS services are. All unset in the cloud (the SDK's defaults); locally and in
 * tests, the emulators' endpoints, or pre-built clients (e.g. with fault-injection middleware).
 */
export interface AwsSettings {
  region?: string;
  /** DynamoDB Local. */
  dynamoDbEndpoint?: string;
  dynamoDbClient?: DynamoDBClient;
  /** s3rver. */
  s3Endpoint?: string;
}

/** What every function has: the table, and how it logs, counts and traces (a quiet default logger). */
export interface FunctionSettings extends AwsSettings, Partial<Observability> {
  tableName: string;
  /** @default the system clock */
  clock?: Clock;
}

/** The business calendar the deadlines are computed on (defaults: see `createBusinessCalendar`). */
interface CalendarSettings {
  businessCalendar?: Partial<BusinessCalendarConfig>;
}

/** The PoE bucket and the deployment's document policy (unset limits keep the domain defaults). */
interface DocumentSettings {
  documentsBucketName: string;
  documentPolicy?: Partial<DocumentPolicy>;
}

/** The HTTP API function. */
export interface ApiSettings extends FunctionSettings, CalendarSettings, DocumentSettings {
  /** The Powertools idempotency table; unset: `Idempotency-Key` is ignored (not recommended). */
  idempotencyTableName?: string;
  /** The list cursors' HMAC key (≥ 32 characters). */
  cursorSecret: string;
  /** Which token claims name the partner and the roles; unset: the defaults (`identity-claims.ts`). */
  identityClaims?: IdentityClaimMapping;
}

/** The consent pages' function. */
export interface ConsentSettings extends FunctionSettings, CalendarSettings {}

/** The claim timer's task (also run by the local timers). */
export interface TimerSettings extends FunctionSettings, CalendarSettings {}

/** The upload verifier (S3 upload events; locally fed by s3rver's events). */
export interface VerifyUploadSettings extends FunctionSettings, DocumentSettings {
  /** Wait for GuardDuty's malware scan tag before `available`. @default false */
  malwareScanning?: boolean;
}

/** The outbox relay: where it arms timers, sends emails and publishes domain events. */
export interface RelaySettings extends FunctionSettings, CalendarSettings {
  /** The consent tokens' HMAC key. */
  consentSecret: string;
  /** Where the consent links point. */
  publicBaseUrl: string;
  /**
   * The partner portal partner emails link to (base URL or `{claimId}` template); unset: the
   * service's console at `<publicBaseUrl>/console`.
   */
  portalUrl?: string;
  /** Where final claims' documents are tagged for their retention. */
  documentsBucketName?: string;
  /** Default: tags in the documents bucket (`documentsBucketName`, `s3Endpoint`). */
  documents?: DocumentRetention;
  email: {
    sender: string;
    configurationSet?: string;
    /** Pre-built client: aws-ses-v2-local's (closed by the local cloud on stop), or with injected failures. */
    client?: SESClient;
  };
  /** A Step Functions state machine, or a scheduler given as it is (the local timers, tests). */
  timers: { stateMachineArn: string } | TimerScheduler;
  /** An EventBridge bus, or a publisher given as it is (the local event log, tests). */
  events: { eventBusName: string } | EventPublisher;
}

/** The SDK client options of an emulator endpoint: fixed region and credentials, no AWS config. */
function endpointOptions(endpoint: string | undefined, settings: AwsSettings, credentials = 'local') {
  return {
    ...(settings.region && { region: settings.region }),
    ...(endpoint && {
      endpoint,
      region: settings.region ?? 'us-east-1',
      credentials: { accessKeyId: credentials, secretAccessKey: credentials },
    }),
  };
}

export function createDynamoDbClient(settings: AwsSettings): DynamoDBClient {
  return settings.dynamoDbClient ?? new DynamoDBClient(endpointOptions(settings.dynamoDbEndpoint, settings));
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createS3Client(settings: Pick<AwsSettings, 's3Endpoint' | 'region'>): S3Client {
  return new S3Client({
    // s3rver accepts only its built-in key pair (it checks the key id, not the signature).
    ...endpointOptions(settings.s3Endpoint, settings, 'S3RVER'),
    // s3rver answers on one host, not on bucket subdomains.
    ...(settings.s3Endpoint && { forcePathStyle: true }),
  });
}

/** The claim store on the table. */
export function createClaimStore(settings: FunctionSettings): DynamoDbClaimStore {
  return new DynamoDbClaimStore(createDocumentClient(createDynamoDbClient(settings)), settings.tableName);
}

/** The claim store and the document store beside it, on one client. */
function createStores(settings: FunctionSettings) {
  const documentClient = createDocumentClient(createDynamoDbClient(settings));
  const store = new DynamoDbClaimStore(documentClient, settings.tableName);
  return { store, documents: new DynamoDbDocumentStore(documentClient, settings.tableName, store) };
}

/** The PoE bucket adapter, with the second client its POST signing needs. */
export function createDocumentObjects(settings: AwsSettings & DocumentSettings): S3DocumentObjects {
  if (!settings.documentsBucketName) throw new Error('The documents bucket name is missing.');
  return new S3DocumentObjects({
    client: createS3Client(settings),
    postSigner: createS3Client(settings),
    bucketName: settings.documentsBucketName,
  });
}

/** The settings' observability, with the service's logger when none is given. */
function observabilityOf(settings: Partial<Observability>): Observability {
  return {
    logger: settings.logger ?? new Logger({ serviceName: SERVICE_NAME }),
    ...(settings.metrics && { metrics: settings.metrics }),
    ...(settings.tracing && { tracing: settings.tracing }),
  };
}

/** What deadlines are computed with: the clock and the business calendar. */
function timeOf(settings: FunctionSettings & CalendarSettings) {
  return {
    clock: settings.clock ?? systemClock,
    calendar: createBusinessCalendar(settings.businessCalendar),
  };
}

export function createApiDeps(settings: ApiSettings): ApiDeps {
  if (!settings.cursorSecret) throw new Error('The API needs a cursor secret.');
  // The mapping is read where tokens are (`http/auth.ts`), once per process.
  if (settings.identityClaims) configureIdentityClaims(settings.identityClaims);
  const client = createDynamoDbClient(settings);
  return {
    ...createStores({ ...settings, dynamoDbClient: client }),
    objects: createDocumentObjects(settings),
    documentPolicy: documentPolicy(settings.documentPolicy),
    ...(settings.idempotencyTableName && {
      idempotencyStore: new DynamoDBPersistenceLayer({
        tableName: settings.idempotencyTableName,
        awsSdkV3Client: client,
      }),
    }),
    ...timeOf(settings),
    cursorSecret: settings.cursorSecret,
    ...observabilityOf(settings),
  };
}

/** The expire-deadline function's ports (also used by the local timers). */
export function createTimerDeps(settings: TimerSettings): ExpireDeadlineHandlerDeps {
  return { store: createClaimStore(settings), ...timeOf(settings), ...observabilityOf(settings) };
}

export function createVerifyUploadDeps(settings: VerifyUploadSettings): VerifyUploadHandlerDeps {
  return {
    documents: createStores(settings).documents,
    objects: createDocumentObjects(settings),
    detectContentType,
    inspectArchive: measureZipArchive,
    documentPolicy: documentPolicy(settings.documentPolicy),
    clock: settings.clock ?? systemClock,
    malwareScanning: settings.malwareScanning ?? false,
    ...observabilityOf(settings),
  };
}

export function createConsentDeps(settings: ConsentSettings): ConsentHandlerDeps {
  const documentClient = createDocumentClient(createDynamoDbClient(settings));
  return {
    tokens: new ConsentTokenReader(documentClient, settings.tableName),
    store: new DynamoDbClaimStore(documentClient, settings.tableName),
    ...timeOf(settings),
    ...observabilityOf(settings),
  };
}

/** Tags in the documents bucket (`documentsBucketName`, `s3Endpoint`). */
function documentRetention(settings: RelaySettings): DocumentRetention {
  if (!settings.documentsBucketName) throw new Error('The documents bucket name is missing.');
  return new S3DocumentRetention(createS3Client(settings), settings.documentsBucketName);
}

export function createRelayDeps(settings: RelaySettings): RelayHandlerDeps {
  const documentClient = createDocumentClient(createDynamoDbClient(settings));
  const { email, timers, events } = settings;
  // Cloud clients only: locally the timers and the event log are given as ports, and SES as a client.
  const cloud = endpointOptions(undefined, settings);
  const sesClient = email.client ?? new SESClient(cloud);
  return {
    timers:
      'start' in timers
        ? timers
        : new StepFunctionsTimerScheduler(new SFNClient(cloud), timers.stateMachineArn),
    mailer: new SesMailer(sesClient, email.sender, email.configurationSet),
    publisher:
      'publish' in events
        ? events
        : new EventBridgePublisher(new EventBridgeClient(cloud), events.eventBusName),
    documents: settings.documents ?? documentRetention(settings),
    ledger: new DynamoDbEmailLedger(documentClient, settings.tableName),
    clock: settings.clock ?? systemClock,
    emailSettings: emailSettingsOf(settings),
    consentLinks: new ConsentTokens(
      documentClient,
      settings.tableName,
      settings.consentSecret,
      settings.publicBaseUrl,
    ),
    ...observabilityOf(settings),
  };
}

/** The emails' portal and time zone; an unknown zone fails here, at cold start, not per email. */
export function emailSettingsOf(
  settings: Pick<RelaySettings, 'portalUrl' | 'publicBaseUrl' | 'businessCalendar'>,
): EmailSettings {
  const timeZone = settings.businessCalendar?.timeZone ?? DEFAULT_BUSINESS_CALENDAR.timeZone;
  new Intl.DateTimeFormat('en-US', { timeZone }); // throws RangeError for an unknown zone
  return { portalUrl: settings.portalUrl ?? defaultPortalUrl(settings.publicBaseUrl), timeZone };
}
