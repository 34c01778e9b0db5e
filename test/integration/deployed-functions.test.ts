/**
 * The deployment as `cdk synth` writes it, run here: every function bundle of cdk.out (for the
 * `dev` and `prod` stages) is started in a process of its own with only its template's
 * environment (CloudFormation's references resolved to the emulated resources), what Lambda's
 * runtime adds, and `AWS_ENDPOINT_URL` pointing at a recorder in front of the emulators. The
 * test drives each function through its realistic paths (HTTP API, upload events, the table's
 * stream, timers, the consent pages), and then compares what each function's code called with
 * its role's synthesized policy, both ways: every call is allowed, and every allowed action
 * was called (or is listed below with the reason it is allowed without an SDK call).
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { CfnElement } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { DynamoDBRecord, S3Event } from 'aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIdempotencyTable } from '../../infra/local/create-table.js';
import { LOCAL_AWS_CREDENTIALS } from '../../infra/local/dynamodb-local.js';
import { type RunningHttpServer, startLocalHttpServer } from '../../infra/local/http-adapter.js';
import { createLocalAuth, type LocalAuth } from '../../infra/local/local-auth.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3-local.js';
import { type LocalSes, startLocalSes } from '../../infra/local/ses-local.js';
import type { ServiceApp } from '../../infra/service-app.js';
import { buildServiceApp, stageContext } from '../infra/service-app-fixture.js';
import {
  type ArnScope,
  type AuthorizationRequest,
  type CallRecorder,
  type RecordedCall,
  serviceStubs,
  sesError,
  startCallRecorder,
} from '../support/aws-call-recorder.js';
import { claimDraft } from '../support/claim-draft.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { type LambdaSandbox, startLambdaSandbox } from '../support/lambda-sandbox.js';
import { sampleHtml, samplePdf } from '../support/sample-files.js';
import {
  isAllowed,
  type PhysicalResource,
  type ResolvedStatement,
  type SynthesizedFunction,
  statementAllows,
  synthesizedFunction,
  TemplateResolver,
  wildcardMatch,
} from '../support/synthesized-functions.js';

const SCOPE: ArnScope = { region: 'eu-west-1', account: '123456789012' };

/**
 * Actions a role is granted for what Lambda itself does with the function's credentials, not
 * for a call of the function's code, so the recorder cannot see them.
 */
const GRANTED_WITHOUT_SDK_CALL: Record<string, string> = {
  'logs:CreateLogStream': "Lambda's runtime writes the function's logs to its own log group",
  'logs:PutLogEvents': "Lambda's runtime writes the function's logs to its own log group",
  'xray:PutTraceSegments': "Lambda's active tracing sends the invocation's segments",
  'xray:PutTelemetryRecords': "Lambda's active tracing sends the invocation's segments",
  'sqs:SendMessage': 'Lambda sends a failed asynchronous event to the dead-letter queue',
  'dynamodb:DescribeStream': "the stream event source mapping reads the table's stream",
  'dynamodb:GetRecords': "the stream event source mapping reads the table's stream",
  'dynamodb:GetShardIterator': "the stream event source mapping reads the table's stream",
  'dynamodb:ListStreams': "the stream event source mapping reads the table's stream",
};

/** What Lambda's runtime adds to the template's environment (besides credentials). */
function runtimeEnvironment(name: string, bundleDir: string): Record<string, string> {
  return {
    AWS_REGION: SCOPE.region,
    AWS_DEFAULT_REGION: SCOPE.region,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    LAMBDA_TASK_ROOT: bundleDir,
    TZ: ':UTC',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // The emulators accept these (s3rver insists on its own key id, and checks no signature).
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SESSION_TOKEN: 'lambda-session-token',
  };
}

type FunctionKey = 'api' | 'consent' | 'verify-upload' | 'expire-deadline' | 'outbox-relay';

function logicalIdOf(construct: IConstruct): string {
  const stack = (construct.node.scopes.find((s) => 'getLogicalId' in s) ?? construct) as unknown as {
    getLogicalId(element: CfnElement): string;
  };
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The functions of the stage's stacks, by the entry they are built from. */
function functionsOf(built: ServiceApp): Record<FunctionKey, { stack: string; logicalId: string }> {
  const stateless = built.stateless.stackName;
  const api = built.stateless.functions.get('api');
  const consent = built.stateless.functions.get('consent');
  if (!api || !consent) throw new Error('api and consent functions expected');
  const of = (fn: { function: IConstruct }) => ({ stack: stateless, logicalId: logicalIdOf(fn.function) });
  return {
    api: of(api),
    consent: of(consent),
    'verify-upload': of(built.stateless.uploadVerifier.function),
    'expire-deadline': of(built.stateless.claimTimer.expireDeadline),
    'outbox-relay': of(built.stateless.outboxRelay.function),
  };
}

interface Deployment {
  assembly: CloudAssembly;
  functions: Record<FunctionKey, SynthesizedFunction>;
  recorders: Record<FunctionKey, CallRecorder>;
  sandboxes: Record<FunctionKey, LambdaSandbox>;
}

describe.each(['dev', 'prod'])('the %s stage as synthesized, on the emulators', (stage) => {
  let built: ServiceApp;
  let table: TestTable;
  let idempotencyTableName: string;
  let s3: LocalS3;
  let ses: LocalSes;
  let auth: LocalAuth;
  let http: RunningHttpServer;
  let deployment: Deployment;
  const bucketName = `cpor-claims-${stage}-documents`;

  beforeAll(async () => {
    built = buildServiceApp(stage, { bundle: true, context: { 'aws:cdk:enable-asset-metadata': true } });
    const assembly = built.app.synth();
    table = await createTestTable(`bundles-${stage}`);
    idempotencyTableName = `${table.tableName}-idempotency`;
    await ensureIdempotencyTable(table.client, idempotencyTableName);
    s3 = await startLocalS3({ bucketName });
    ses = await startLocalSes();
    // aws-ses-v2-local keeps one inbox per process: start without the other stage's emails.
    await fetch(`${ses.url}/clear-store`, { method: 'POST' });
    auth = await createLocalAuth();
    const sandboxes: Partial<Record<FunctionKey, LambdaSandbox>> = {};
    const sandbox = (key: FunctionKey) => {
      const found = sandboxes[key];
      if (!found) throw new Error(`${key} is not running`);
      return found;
    };
    http = await startLocalHttpServer({
      handlers: {
        api: (event) => sandbox('api').invoke(event),
        consent: (event) => sandbox('consent').invoke(event),
      },
      auth,
      corsOrigins: built.config.portalOrigins,
    });

    // The resources the functions reach, as the test emulates them.
    const { stateful, stateless } = built;
    const tableArn = `arn:aws:dynamodb:${SCOPE.region}:${SCOPE.account}:table/${table.tableName}`;
    const tableStream = (await table.client.send(new DescribeTableCommand({ TableName: table.tableName })))
      .Table?.LatestStreamArn;
    const physical: Record<string, PhysicalResource> = {
      [`${stateful.stackName}/${logicalIdOf(stateful.table)}`]: {
        ref: table.tableName,
        attributes: { Arn: tableArn, StreamArn: tableStream ?? `${tableArn}/stream/local` },
      },
      [`${stateful.stackName}/${logicalIdOf(stateful.idempotencyTable)}`]: {
        ref: idempotencyTableName,
        attributes: {
          Arn: `arn:aws:dynamodb:${SCOPE.region}:${SCOPE.account}:table/${idempotencyTableName}`,
        },
      },
      [`${stateful.stackName}/${logicalIdOf(stateful.documentsBucket)}`]: {
        ref: bucketName,
        attributes: { Arn: `arn:aws:s3:::${bucketName}` },
      },
      [`${stateless.stackName}/${logicalIdOf(stateless.api.api)}`]: {
        ref: 'a1b2c3d4e5',
        attributes: { ApiEndpoint: http.url },
      },
    };
    const resolver = new TemplateResolver(assembly, SCOPE, physical);
    const functions = Object.fromEntries(
      Object.entries(functionsOf(built)).map(([key, { stack, logicalId }]) => [
        key,
        synthesizedFunction(assembly, resolver, stack, logicalId),
      ]),
    ) as Record<FunctionKey, SynthesizedFunction>;
    // Every secret of the stacks has a value in the stub (64 characters, like the generated ones).
    const secrets = Object.fromEntries(
      assembly.stacks.flatMap((s) =>
        Object.entries(s.template.Resources as Record<string, { Type: string }>)
          .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
          .map(([id]) => [
            resolver.resolveString({ Ref: id }, s.stackName),
            randomUUID().repeat(2).slice(0, 64),
          ]),
      ),
    );
    const recorders: Partial<Record<FunctionKey, CallRecorder>> = {};
    for (const [key, fn] of Object.entries(functions) as [FunctionKey, SynthesizedFunction][]) {
      const recorder = await startCallRecorder({
        functionName: key,
        scope: SCOPE,
        upstreams: { dynamodb: table.endpoint, s3: s3.endpoint, ses: ses.url },
        stubs: serviceStubs(secrets),
        isAllowed: (request) => isAllowed(fn.statements, request),
      });
      recorders[key] = recorder;
      sandboxes[key] = await startLambdaSandbox({
        functionName: key,
        bundleDir: fn.bundleDir,
        environment: {
          ...fn.environment,
          ...runtimeEnvironment(`cpor-claims-${stage}-${key}`, fn.bundleDir),
          AWS_ENDPOINT_URL: recorder.endpoint,
        },
      });
    }
    deployment = {
      assembly,
      functions,
      recorders: recorders as Record<FunctionKey, CallRecorder>,
      sandboxes: sandboxes as Record<FunctionKey, LambdaSandbox>,
    };
  }, 600_000);

  afterAll(async () => {
    await Promise.all(Object.values(deployment?.sandboxes ?? {}).map((s) => s.stop()));
    await Promise.all(Object.values(deployment?.recorders ?? {}).map((r) => r.stop()));
    await http?.close();
    await ses?.stop();
    await s3?.stop();
    await table?.destroy();
  });

  // --- helpers driving the deployment -------------------------------------------------------

  const token = (request: Parameters<LocalAuth['issueToken']>[0]) => auth.issueToken(request);

  async function call(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const response = await fetch(`${http.url}${path}`, {
      method,
      headers: {
        ...(options.token && { authorization: `Bearer ${options.token}` }),
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    const json =
      /json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, text, json };
  }

  async function expectStatus<T = Record<string, unknown>>(
    promise: ReturnType<typeof call>,
    status: number,
  ): Promise<T & { etag: string }> {
    const response = await promise;
    expect(response.status, `${response.text}\n${deployment.sandboxes.api.output().slice(-3000)}`).toBe(
      status,
    );
    return { ...(response.json as T), etag: response.headers.get('etag') ?? '' };
  }

  /** What s3rver's object events say, reshaped as the S3 notification Lambda receives. */
  function s3Event(key: string, size: number): S3Event {
    return {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: SCOPE.region,
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Post',
          userIdentity: { principalId: 'AWS:AROAEXAMPLE:cpor-claims-api' },
          requestParameters: { sourceIPAddress: '203.0.113.7' },
          responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': randomUUID() },
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: 'verify-upload',
            bucket: {
              name: bucketName,
              ownerIdentity: { principalId: 'A1EXAMPLE' },
              arn: `arn:aws:s3:::${bucketName}`,
            },
            object: {
              key: key.split('/').map(encodeURIComponent).join('/'),
              size,
              eTag: randomUUID().replaceAll('-', ''),
              sequencer: Date.now().toString(16).toUpperCase(),
            },
          },
        },
      ],
    };
  }

  /** Declares a document, uploads `bytes` with the presigned POST (unless `null`), then delivers its event. */
  async function upload(claimId: string, partnerToken: string, bytes: Buffer | null, fileName = 'poe.pdf') {
    const declared = await expectStatus<{
      document: { id: string };
      upload: { url: string; fields: Record<string, string> };
    }>(
      call('POST', `/v1/claims/${claimId}/documents`, {
        token: partnerToken,
        body: { fileName, contentType: 'application/pdf', size: bytes?.length ?? 1024 },
      }),
      201,
    );
    const { url, fields } = declared.upload;
    if (bytes) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([bytes], { type: 'application/pdf' }), fileName);
      const posted = await fetch(url, { method: 'POST', body: form });
      expect(posted.status, await posted.text()).toBeLessThan(300);
    }
    const key = fields.key ?? '';
    const result = await deployment.sandboxes['verify-upload'].invoke<{
      batchItemFailures?: unknown[];
    } | null>(s3Event(key, bytes?.length ?? 0));
    return { documentId: declared.document.id, result };
  }

  /** The outbox records the table's stream holds, as the relay's event source mapping delivers them. */
  async function outboxRecords(after: Set<string>): Promise<DynamoDBRecord[]> {
    const streams = new DynamoDBStreamsClient({
      endpoint: table.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    try {
      const arn = (await table.client.send(new DescribeTableCommand({ TableName: table.tableName }))).Table
        ?.LatestStreamArn;
      const shards =
        (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards ?? [];
      const records: StreamRecord[] = [];
      for (const shard of shards) {
        let iterator = (
          await streams.send(
            new GetShardIteratorCommand({
              StreamArn: arn,
              ShardId: shard.ShardId,
              ShardIteratorType: 'TRIM_HORIZON',
            }),
          )
        ).ShardIterator;
        // An open shard always returns an iterator; the records written so far come in a few pages.
        for (let page = 0; iterator && page < 20; page++) {
          const got = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          records.push(...(got.Records ?? []));
          if ((got.Records ?? []).length === 0) break;
          iterator = got.NextShardIterator;
        }
      }
      // The mapping's filter (OUTBOX_RECORD_FILTER): inserts of outbox items.
      return records
        .filter((r) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.type?.S === 'outbox')
        .filter((r) => !after.has(r.eventID ?? ''))
        .map((r) => {
          after.add(r.eventID ?? '');
          const created = r.dynamodb?.ApproximateCreationDateTime;
          return {
            eventID: r.eventID,
            eventName: 'INSERT',
            eventVersion: '1.1',
            eventSource: 'aws:dynamodb',
            awsRegion: SCOPE.region,
            eventSourceARN: arn,
            dynamodb: {
              ...(r.dynamodb as DynamoDBRecord['dynamodb']),
              ...(created && { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) }),
            },
          } as DynamoDBRecord;
        });
    } finally {
      streams.destroy();
    }
  }

  async function emails(): Promise<
    { subject: string; destination: { to: string[] }; body: { text?: string } }[]
  > {
    const response = await fetch(`${ses.url}/store`);
    return ((await response.json()) as { emails: never[] }).emails;
  }

  // --- the walk ----------------------------------------------------------------------------

  it('every function handles realistic events with its template environment', async () => {
    const partnerId = `P-${stage}-${randomUUID().slice(0, 8)}`;
    const alice = await token({ sub: 'alice', partnerId, roles: ['Partner.GlobalAdmin'] });
    const rita = await token({ sub: 'rita', roles: ['Reviewer'] });
    const tenantId = randomUUID();
    const body = claimDraft({ customer: { ...claimDraft().customer, tenantId } });

    // API: health, contract, create (idempotent, replayed), read, lists on every index, edit.
    await expectStatus(call('GET', '/health'), 200);
    await expectStatus(call('GET', '/v1/openapi.json'), 200);
    const created = await expectStatus<{ id: string; version: number }>(
      call('POST', '/v1/claims', { token: alice, body, headers: { 'idempotency-key': `create-${stage}` } }),
      201,
    );
    const replayed = await expectStatus<{ id: string }>(
      call('POST', '/v1/claims', { token: alice, body, headers: { 'idempotency-key': `create-${stage}` } }),
      201,
    );
    expect(replayed.id).toBe(created.id);
    const claimId = created.id;
    await expectStatus(call('GET', `/v1/claims/${claimId}`, { token: alice }), 200);
    await expectStatus(call('GET', '/v1/claims', { token: alice }), 200);
    await expectStatus(call('GET', '/v1/claims?status=editing', { token: alice }), 200);
    await expectStatus(call('GET', '/v1/claims', { token: rita }), 200);
    await expectStatus(call('GET', '/v1/claims?status=submitted', { token: rita }), 200);
    await expectStatus(call('GET', `/v1/claims?customerTenantId=${tenantId}`, { token: rita }), 200);
    const edited = await expectStatus(
      call('PATCH', `/v1/claims/${claimId}`, {
        token: alice,
        body: { name: 'Contoso rollout, phase 1' },
        headers: { 'if-match': `"${created.version}"` },
      }),
      200,
    );
    await expectStatus(
      call('POST', `/v1/claims/${claimId}/comments`, { token: alice, body: { text: 'PoE follows.' } }),
      201,
    );
    await expectStatus(call('GET', `/v1/claims/${claimId}/comments`, { token: alice }), 200);
    await expectStatus(call('GET', `/v1/claims/${claimId}/history`, { token: alice }), 200);
    // A refused POST under an Idempotency-Key: its record is removed, so a corrected retry runs.
    const refused = await call('POST', `/v1/claims/${claimId}/submit`, {
      token: alice,
      body: {},
      headers: { 'idempotency-key': `submit-early-${stage}` },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(edited.etag).toBe(`"${created.version + 1}"`);

    // Upload verifier: an accepted PDF, a rejected one (HTML bytes), and a declared document
    // whose upload never arrived: S3 answers the verifier 404 (with s3:ListBucket), not 403.
    const accepted = await upload(claimId, alice, samplePdf());
    const rejected = await upload(claimId, alice, sampleHtml());
    const missing = await upload(claimId, alice, null);
    const documents = await expectStatus<{ items: { id: string; status: string }[] }>(
      call('GET', `/v1/claims/${claimId}/documents`, { token: alice }),
      200,
    );
    const statusOf = (id: string) => documents.items.find((d) => d.id === id)?.status;
    expect(statusOf(accepted.documentId)).toBe('available');
    expect(statusOf(rejected.documentId)).toBe('rejected');
    expect(statusOf(missing.documentId)).toBe('pendingUpload');
    const download = await expectStatus<{ url: string }>(
      call('GET', `/v1/claims/${claimId}/documents/${accepted.documentId}/download`, { token: alice }),
      200,
    );
    const downloaded = await fetch(download.url);
    expect(downloaded.status).toBe(200);
    expect(
      Buffer.from(await downloaded.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');

    // Lifecycle: submit, review, approve (consent window), and a second claim withdrawn.
    const current = await expectStatus<{ version: number }>(
      call('GET', `/v1/claims/${claimId}`, { token: alice }),
      200,
    );
    expect(current.version).toBeGreaterThan(0);
    await expectStatus(call('POST', `/v1/claims/${claimId}/submit`, { token: alice, body: {} }), 200);
    await expectStatus(call('POST', `/v1/claims/${claimId}/start-review`, { token: rita, body: {} }), 200);
    await expectStatus(
      call('POST', `/v1/claims/${claimId}/approve`, { token: rita, body: { comment: 'PoE is convincing.' } }),
      200,
    );
    const other = await expectStatus<{ id: string }>(
      call('POST', '/v1/claims', { token: alice, body: claimDraft({ name: 'Second claim' }) }),
      201,
    );
    await upload(other.id, alice, samplePdf());
    const submitted = await expectStatus<{ id: string; deadlines: Record<string, string>; version: number }>(
      call('POST', `/v1/claims/${other.id}/submit`, { token: alice, body: {} }),
      200,
    );

    // Outbox relay: every outbox record so far, the first delivery with SES refusing one email
    // (the relay releases its lease and reports the record), then the retry from there.
    const seen = new Set<string>();
    const records = await outboxRecords(seen);
    expect(records.length).toBeGreaterThan(3);
    deployment.recorders['outbox-relay'].failNext(
      'ses',
      'SendEmail',
      sesError('MessageRejected', 'Email address is not verified.'),
    );
    const first = await deployment.sandboxes['outbox-relay'].invoke<{
      batchItemFailures: { itemIdentifier: string }[];
    }>({ Records: records });
    // The failed record and every one after it on the shard, to keep each claim's order.
    expect(first.batchItemFailures.length).toBeGreaterThan(0);
    const failedAt = records.findIndex(
      (r) => r.dynamodb?.SequenceNumber === first.batchItemFailures[0]?.itemIdentifier,
    );
    expect(failedAt).toBeGreaterThanOrEqual(0);
    const retry = await deployment.sandboxes['outbox-relay'].invoke<{ batchItemFailures: unknown[] }>({
      Records: records.slice(failedAt),
    });
    expect(retry.batchItemFailures).toEqual([]);

    // Consent pages: the link of the consent email, viewed and then used to object.
    const consentEmail = (await emails()).find((e) => /\/consent\/[\w-]{43}/.test(e.body.text ?? ''));
    const link = new URL(
      (consentEmail?.body.text ?? '').match(/https?:\/\/\S+\/consent\/[\w-]{43}/)?.[0] ?? '',
    );
    const expectedBase = stage === 'dev' ? http.url : `https://${built.config.customDomain?.domainName}`;
    expect(link.origin).toBe(new URL(expectedBase).origin);
    const page = await call('GET', link.pathname);
    expect(page.status, page.text).toBe(200);
    const objection = await fetch(`${http.url}${link.pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=deny',
    });
    expect(objection.status, await objection.text()).toBe(200);
    const denied = await expectStatus<{ status: string; consent?: { status: string } }>(
      call('GET', `/v1/claims/${claimId}`, { token: alice }),
      200,
    );
    expect(denied.status).toBe('rejected');

    // Claim timer task: the review-start deadline of the second claim, fallen due (the test
    // moves it into the past: the bundle runs on real time), and a stale timer.
    const dueAt = new Date(Date.now() - 60_000).toISOString();
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: `CLAIM#${other.id}` }, sk: { S: 'CLAIM' } },
        UpdateExpression: 'SET #data.#deadlines.#kind = :due',
        ExpressionAttributeNames: { '#data': 'data', '#deadlines': 'deadlines', '#kind': 'reviewStartBy' },
        ExpressionAttributeValues: { ':due': { S: dueAt } },
      }),
    );
    const applied = await deployment.sandboxes['expire-deadline'].invoke<{ applied: boolean }>({
      claimId: other.id,
      deadline: 'reviewStartBy',
      dueAt,
      version: submitted.version,
    });
    expect(applied).toMatchObject({ applied: true });
    const stale = await deployment.sandboxes['expire-deadline'].invoke<{ applied: boolean }>({
      claimId: other.id,
      deadline: 'reviewStartBy',
      dueAt,
      version: submitted.version,
    });
    expect(stale).toMatchObject({ applied: false });
    // The SLA flag's outbox event goes through the relay as well.
    const later = await deployment.sandboxes['outbox-relay'].invoke<{ batchItemFailures: unknown[] }>({
      Records: await outboxRecords(seen),
    });
    expect(later.batchItemFailures).toEqual([]);
  }, 300_000);

  // --- the policies ------------------------------------------------------------------------

  const keys: FunctionKey[] = ['api', 'consent', 'verify-upload', 'expire-deadline', 'outbox-relay'];

  it.each(keys)('%s: every AWS request its code made is allowed by its role', (key) => {
    const { statements } = deployment.functions[key];
    const calls = deployment.recorders[key].calls;
    const denied = calls.filter((c) => !isAllowed(statements, c)).map(describeCall);
    expect(denied).toEqual([]);
  });

  it.each(keys)('%s: its role allows nothing its code did not call', (key) => {
    const { statements } = deployment.functions[key];
    const calls = deployment.recorders[key].calls;
    expect(unusedGrants(statements, calls)).toEqual([]);
  });

  it('drives every function the stage deploys from a bundle', () => {
    const bundled = deployment.assembly.stacks.flatMap((stack) =>
      Object.entries(stack.template.Resources as Record<string, { Type: string; Metadata?: object }>)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata && 'aws:asset:path' in r.Metadata)
        .map(([id]) => `${stack.stackName}/${id}`),
    );
    const driven = Object.values(deployment.functions).map((f) => `${f.stackName}/${f.logicalId}`);
    expect(bundled.sort()).toEqual(driven.sort());
  });

  it('records the calls the consent pages are limited to: item reads and their one transaction', () => {
    const actions = new Set(deployment.recorders.consent.calls.map((c) => c.action));
    expect([...actions].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  });
});

function describeCall(call: RecordedCall): string {
  const context = Object.entries(call.context)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  return `${call.operation}: ${call.action} on ${call.resource}${context}`;
}

/**
 * Each action × resource of the role that no recorded call used, unless Lambda itself uses it
 * (`GRANTED_WITHOUT_SDK_CALL`).
 */
function unusedGrants(
  statements: readonly ResolvedStatement[],
  calls: readonly AuthorizationRequest[],
): string[] {
  return statements.flatMap((statement) =>
    statement.actions.flatMap((action) =>
      statement.resources.flatMap((resource) => {
        if (GRANTED_WITHOUT_SDK_CALL[action]) return [];
        const narrowed: ResolvedStatement = { ...statement, actions: [action], resources: [resource] };
        const used = calls.some((c) => wildcardMatch(action, c.action, true) && statementAllows(narrowed, c));
        return used
          ? []
          : [
              `${action} on ${resource}${statement.condition ? ` if ${JSON.stringify(statement.condition)}` : ''}`,
            ];
      }),
    ),
  );
}

describe('the Cognito pre-token trigger of a stage with a user pool, as synthesized', () => {
  let sandbox: LambdaSandbox;
  let fn: SynthesizedFunction;

  beforeAll(async () => {
    const { jwtIssuer: _, jwtAudience: __, ...dev } = stageContext('dev');
    const stages = {
      dev: { ...dev, cognito: { callbackUrls: ['https://partners.cpor-claims.net/auth/callback'] } },
    };
    // Only the stateful stack, where the trigger lives, is bundled.
    const built = buildServiceApp('dev', {
      context: {
        stages,
        'aws:cdk:enable-asset-metadata': true,
        'aws:cdk:bundling-stacks': ['CporClaims-dev-Stateful'],
      },
    });
    const assembly = built.app.synth();
    const trigger = built.stateful.partnerUserPool?.preTokenTrigger;
    if (!trigger) throw new Error('no pre-token trigger');
    fn = synthesizedFunction(
      assembly,
      new TemplateResolver(assembly, SCOPE, {}),
      built.stateful.stackName,
      logicalIdOf(trigger.function),
    );
    sandbox = await startLambdaSandbox({
      functionName: 'cognito-pre-token',
      bundleDir: fn.bundleDir,
      environment: {
        ...fn.environment,
        ...runtimeEnvironment('cpor-claims-dev-cognito-pre-token', fn.bundleDir),
      },
    });
  }, 300_000);

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('puts the partner id and the API roles into the access token (V2 event as Cognito sends it)', async () => {
    const event = {
      version: '2',
      triggerSource: 'TokenGeneration_Authentication',
      region: SCOPE.region,
      userPoolId: 'eu-west-1_Ab12Cd34E',
      userName: 'pat@fabrikam.com',
      callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: '3q7b6bq1m2k5h0e4r8s9t1u2v3' },
      request: {
        userAttributes: { sub: randomUUID(), email: 'pat@fabrikam.com', 'custom:partnerId': 'P-42' },
        groupConfiguration: {
          groupsToOverride: ['Partner.BillingAdmin', 'Everyone'],
          iamRolesToOverride: [],
        },
        scopes: ['openid', 'email'],
      },
      response: { claimsAndScopeOverrideDetails: null },
    };
    const answered = await sandbox.invoke<typeof event>(event);
    expect(answered.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: {
        claimsToAddOrOverride: { roles: ['Partner.BillingAdmin'], partnerId: 'P-42' },
      },
    });
  });

  it('may write its logs and traces and nothing else (it calls no AWS API)', () => {
    const actions = fn.statements.flatMap((s) => s.actions).filter((a) => !GRANTED_WITHOUT_SDK_CALL[a]);
    expect(actions).toEqual([]);
  });
});
