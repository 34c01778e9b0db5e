/**
 * `npm run bench`: the service's figures, each as a ratio measured in this run against its own
 * DynamoDB Local (in memory) and local stack. Prints a table per figure and writes
 * `bench-results.json`. Bounded: a few minutes on 2 cores.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchWriteItemCommand, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { build } from 'esbuild';
import { claimKey, indexKeys } from '../../functions/adapters/dynamodb-claim-store.js';
import type { Claim } from '../../functions/domain/claim.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { leanDependencyAliases } from '../../infra/constructs/lean-dependencies.js';
import { ensureTable } from '../../infra/local/create-table.js';
import { createLocalDynamoDbClient, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { seedAvailableDocument } from '../support/documents.js';
import {
  type CountedCall,
  countingDynamoDbClient,
  draft,
  type HttpRequest,
  httpClient,
  percentile,
  pool,
  printTable,
  readUnitsOf,
  round,
  tokenOf,
  writeUnitsOf,
} from './support.js';
import { TRANSITIONS_PER_EXECUTION, timerExecutionsBench } from './timer-executions.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LATENCY_SAMPLES = 500;
const TRANSITION_SAMPLES = 300;
const COLD_RUNS = 7;
const LIST_SIZES = [100, 10_000] as const;

/** us-east-1 list prices as in README "Estimated monthly cost" (2026-11-24). */
const PRICES = {
  date: '2026-11-24',
  region: 'us-east-1',
  apiGatewayHttpPerMillion: 1.0,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecondArm: 0.0000133334,
  dynamoDbPerMillionWru: 0.625,
  dynamoDbPerMillionRru: 0.125,
  stepFunctionsPerThousandTransitions: 0.025,
  sesPerThousandEmails: 0.1,
  eventBridgePerMillionEvents: 1.0,
} as const;

const runStarted = performance.now();
const results: Record<string, unknown> = {
  generatedAt: new Date().toISOString(),
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.version },
};
const log = (message: string) =>
  console.error(`[bench ${((performance.now() - runStarted) / 1000).toFixed(0)}s] ${message}`);

const dynamoDb = await startDynamoDbLocal();
const raw = createLocalDynamoDbClient(dynamoDb.endpoint);
const clouds: LocalCloud[] = [];
try {
  const counter = countingDynamoDbClient(dynamoDb.endpoint);
  const clock = new ManualClock(new Date());
  const tableName = 'bench-claims';
  const cloud = await startLocalCloud({
    dynamoDbEndpoint: dynamoDb.endpoint,
    tableName,
    clock,
    lifecycle: false,
    apiDynamoDbClient: counter.client,
  });
  clouds.push(cloud);
  const request = httpClient(cloud.url);
  const partner = await tokenOf(request, {
    sub: 'bench-partner',
    partnerId: 'bench-a',
    roles: ['Partner.GlobalAdmin'],
  });
  const reviewer = await tokenOf(request, { sub: 'bench-reviewer', roles: ['Reviewer'] });
  const seeder = { table: { client: raw, tableName }, clock };

  const must = async (
    response: Promise<ReturnType<HttpRequest> extends Promise<infer R> ? R : never>,
    status = 200,
  ) => {
    const r = await response;
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
    return r.json as { id: string; version: number; items?: unknown[]; nextCursor?: string | null };
  };
  const newClaim = async (token = partner, tag = `b${randomUUID().slice(0, 8)}`) =>
    must(request('POST', '/v1/claims', { token, body: draft(tag, randomUUID()) }), 201);
  const submitted = async () => {
    const claim = await newClaim();
    await seedAvailableDocument(seeder, claim.id);
    await must(request('POST', `/v1/claims/${claim.id}/submit`, { token: partner, body: {} }));
    return claim.id;
  };

  // (a) DynamoDB requests per API operation vs the floor.
  log('requests per operation');
  const perOp: { operation: string; floor: string; floorRequests: number; calls: CountedCall[] }[] = [];
  const op = async (
    operation: string,
    floor: string,
    floorRequests: number,
    work: () => Promise<unknown>,
  ) => {
    const { calls } = await counter.measure(work);
    perOp.push({ operation, floor, floorRequests, calls });
  };
  // Warm the handler first: the first request of a process builds its clients.
  const warm = await newClaim();
  await must(request('GET', `/v1/claims/${warm.id}`, { token: partner }));
  let claimId = '';
  await op('POST /v1/claims (create)', '1 transaction', 1, async () => {
    claimId = (await newClaim()).id;
  });
  await op('GET /v1/claims/{id}', '1 read', 1, () =>
    must(request('GET', `/v1/claims/${claimId}`, { token: partner })),
  );
  await op('PATCH /v1/claims/{id} (edit)', '1 transaction + ≤1 read', 2, () =>
    must(request('PATCH', `/v1/claims/${claimId}`, { token: partner, body: { name: 'Edited name' } })),
  );
  await seedAvailableDocument(seeder, claimId);
  await op('POST …/submit', '1 transaction + ≤1 read', 2, () =>
    must(request('POST', `/v1/claims/${claimId}/submit`, { token: partner, body: {} })),
  );
  await op('POST …/start-review', '1 transaction + ≤1 read', 2, () =>
    must(request('POST', `/v1/claims/${claimId}/start-review`, { token: reviewer, body: {} })),
  );
  await op('POST …/approve', '1 transaction + ≤1 read', 2, () =>
    must(
      request('POST', `/v1/claims/${claimId}/approve`, {
        token: reviewer,
        body: { comment: 'Convincing PoE.' },
      }),
    ),
  );
  await op('GET …/history', '1 query (+1 read for access)', 2, () =>
    must(request('GET', `/v1/claims/${claimId}/history`, { token: partner })),
  );
  await op('GET /v1/claims (partner list page)', '1 query', 1, () =>
    must(request('GET', '/v1/claims?limit=25', { token: partner })),
  );
  const requestsTable = perOp.map((o) => ({
    operation: o.operation,
    floor: o.floor,
    requests: o.calls.length,
    commands: o.calls.map((c) => c.command.replace(/Command$/, '')).join(' + '),
    ratio: round(o.calls.length / o.floorRequests),
    readUnits: round(readUnitsOf(o.calls)),
    writeUnits: round(writeUnitsOf(o.calls)),
  }));
  results.requestsPerOperation = requestsTable;
  printTable(
    '(a) DynamoDB requests per API operation vs the floor',
    ['operation', 'floor', 'requests', 'ratio', 'RRU', 'WRU', 'commands'],
    requestsTable.map((r) => [
      r.operation,
      r.floor,
      r.requests,
      `${r.ratio}×`,
      r.readUnits,
      r.writeUnits,
      r.commands,
    ]),
  );

  // (b) Warm latency through the local HTTP adapter vs bare DynamoDB Local calls.
  log('warm latency');
  const getClaimMs: number[] = [];
  for (let i = 0; i < 30; i++) await request('GET', `/v1/claims/${claimId}`, { token: partner });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const r = await request('GET', `/v1/claims/${claimId}`, { token: partner });
    if (r.status !== 200) throw new Error(`GET claim: ${r.status}`);
    getClaimMs.push(r.ms);
  }
  const getItemMs: number[] = [];
  const timeIt = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const getItem = () =>
    raw.send(
      new GetItemCommand({ TableName: tableName, Key: marshall(claimKey(claimId)), ConsistentRead: true }),
    );
  for (let i = 0; i < 30; i++) await getItem();
  for (let i = 0; i < LATENCY_SAMPLES; i++) getItemMs.push(await timeIt(getItem));

  const ready = await pool(Array.from({ length: TRANSITION_SAMPLES + 10 }), 2, () => submitted());
  const transitionMs: number[] = [];
  for (const [i, id] of ready.entries()) {
    const r = await request('POST', `/v1/claims/${id}/start-review`, { token: reviewer, body: {} });
    if (r.status !== 200) throw new Error(`start-review: ${r.status} ${r.text}`);
    if (i >= 10) transitionMs.push(r.ms);
  }
  // The bare equivalent: the claim updated on its version plus a history item, one transaction.
  const bareId = randomUUID();
  await raw.send(
    new TransactWriteItemsCommand({
      TransactItems: [{ Put: { TableName: tableName, Item: marshall({ ...claimKey(bareId), version: 0 }) } }],
    }),
  );
  const transactMs: number[] = [];
  for (let v = 0; v < TRANSITION_SAMPLES + 10; v++) {
    const ms = await timeIt(() =>
      raw.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: marshall(claimKey(bareId)),
                UpdateExpression: 'SET version = :next',
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: marshall({ ':v': v, ':next': v + 1 }),
              },
            },
            {
              Put: {
                TableName: tableName,
                Item: marshall({ pk: `CLAIM#${bareId}`, sk: `HIST#${String(v + 1).padStart(10, '0')}`, v }),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      ),
    );
    if (v >= 10) transactMs.push(ms);
  }
  const latency = [
    { name: 'GET claim (HTTP)', baseline: 'GetItem (bare)', api: getClaimMs, bare: getItemMs },
    {
      name: 'transition start-review (HTTP)',
      baseline: 'TransactWriteItems (bare)',
      api: transitionMs,
      bare: transactMs,
    },
  ].map((l) => ({
    operation: l.name,
    baseline: l.baseline,
    samples: l.api.length,
    p50Ms: round(percentile(l.api, 50)),
    p99Ms: round(percentile(l.api, 99)),
    baselineP50Ms: round(percentile(l.bare, 50)),
    baselineP99Ms: round(percentile(l.bare, 99)),
    p50Ratio: round(percentile(l.api, 50) / percentile(l.bare, 50)),
    p99Ratio: round(percentile(l.api, 99) / percentile(l.bare, 99)),
  }));
  results.warmLatency = latency;
  printTable(
    '(b) Warm latency: local HTTP adapter + handler vs bare DynamoDB Local call (ms)',
    ['operation', 'p50', 'p99', 'baseline', 'base p50', 'base p99', 'p50 ratio', 'p99 ratio'],
    latency.map((l) => [
      l.operation,
      l.p50Ms,
      l.p99Ms,
      l.baseline,
      l.baselineP50Ms,
      l.baselineP99Ms,
      `${l.p50Ratio}×`,
      `${l.p99Ratio}×`,
    ]),
  );

  // (e) List cost does not grow with the partner's claim count.
  log('list cost: seeding');
  const template = unmarshall(
    (await raw.send(new GetItemCommand({ TableName: tableName, Key: marshall(claimKey(warm.id)) }))).Item ??
      {},
  );
  const listRows: Record<string, unknown>[] = [];
  for (const size of LIST_SIZES) {
    const partnerId = `bench-list-${size}`;
    const base = Date.parse('2026-01-01T00:00:00Z');
    const items = Array.from({ length: size }, (_, i) => {
      const id = randomUUID();
      const createdAt = new Date(base + i * 1000).toISOString();
      const data = {
        ...(template.data as Claim),
        id,
        partnerId,
        createdAt,
        updatedAt: createdAt,
        statusSince: createdAt,
      };
      return { ...template, ...claimKey(id), ...indexKeys(data), data };
    });
    const batches: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    await pool(batches, 4, async (batch) => {
      let pending = batch.map((item) => ({
        PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
      }));
      while (pending.length > 0) {
        const out = await raw.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    });
    log(`list cost: ${size} claims seeded`);
    const token = await tokenOf(request, {
      sub: `lister-${size}`,
      partnerId,
      roles: ['Partner.GlobalAdmin'],
    });
    await request('GET', '/v1/claims?limit=25', { token });
    let cursor: string | null | undefined;
    for (const page of [1, 2]) {
      const path = `/v1/claims?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { result, calls } = await counter.measure(() => must(request('GET', path, { token })));
      cursor = result.nextCursor;
      listRows.push({
        claims: size,
        page,
        items: result.items?.length ?? 0,
        requests: calls.length,
        readUnits: round(readUnitsOf(calls)),
      });
    }
  }
  const small = listRows.filter((r) => r.claims === LIST_SIZES[0]);
  const large = listRows.filter((r) => r.claims === LIST_SIZES[1]);
  const listRatio = {
    requests: round(
      large.reduce((s, r) => s + (r.requests as number), 0) /
        small.reduce((s, r) => s + (r.requests as number), 0),
    ),
    readUnits: round(
      large.reduce((s, r) => s + (r.readUnits as number), 0) /
        small.reduce((s, r) => s + (r.readUnits as number), 0),
    ),
  };
  results.listCost = { pages: listRows, ratio10kTo100: listRatio };
  printTable(
    `(e) Partner list page (limit 25): 10,000 vs 100 claims → requests ${listRatio.requests}×, read units ${listRatio.readUnits}×`,
    ['claims', 'page', 'items', 'requests', 'read units'],
    listRows.map((r) => [
      r.claims as number,
      r.page as number,
      r.items as number,
      r.requests as number,
      r.readUnits as number,
    ]),
  );

  // (f) One claim's full lifecycle, with the lifecycle runtime on (relay, emails, timers).
  log('lifecycle cost');
  results.lifecycleCost = await lifecycleCost(dynamoDb.endpoint);

  // (g) Claim timers per lifecycle: started, stopped, transitions, open execution-days.
  log('timer executions');
  results.timerExecutions = await timerExecutionsBench(dynamoDb.endpoint);

  // (c, d) Cold start and bundle size per function.
  log('bundles and cold starts');
  const coldTable = 'bench-cold';
  await ensureTable(raw, coldTable);
  results.functions = await coldStarts(dynamoDb.endpoint, coldTable);
} finally {
  for (const cloud of clouds) await cloud.stop().catch(() => {});
  raw.destroy();
  await dynamoDb.stop();
}

results.runSeconds = round((performance.now() - runStarted) / 1000, 1);
// Keep the load test's figures (`npm run bench:load` writes the `load` key).
const resultsFile = join(ROOT, 'bench-results.json');
const previous = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>)
  : {};
writeFileSync(
  resultsFile,
  `${JSON.stringify({ ...results, ...(previous.load !== undefined && { load: previous.load }) }, null, 2)}\n`,
);
console.log(`\nWrote bench-results.json; the run took ${results.runSeconds} s.`);

async function lifecycleCost(endpoint: string) {
  const counter = countingDynamoDbClient(endpoint);
  const seedCounter = countingDynamoDbClient(endpoint);
  const clock = new ManualClock(new Date());
  const tableName = 'bench-lifecycle';
  const cloud = await startLocalCloud({
    dynamoDbEndpoint: endpoint,
    tableName,
    clock,
    lifecycle: true,
    apiDynamoDbClient: counter.client,
  });
  clouds.push(cloud);
  const request = httpClient(cloud.url);
  const partner = await tokenOf(request, {
    sub: 'life-partner',
    partnerId: 'bench-life',
    roles: ['Partner.GlobalAdmin'],
  });
  const reviewer = await tokenOf(request, { sub: 'life-reviewer', roles: ['Reviewer'] });
  const start = counter.calls.length;
  let apiRequests = 0;
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    apiRequests++;
    const r = await request(method, path, { token, ...(body !== undefined && { body }) });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.json as { id: string };
  };
  const { id } = await call('POST', '/v1/claims', partner, draft('lifecycle', randomUUID()));
  const c = `/v1/claims/${id}`;
  await call('GET', c, partner);
  await call('PATCH', c, partner, { name: 'Rollout lifecycle, phase 1' });
  await call('POST', `${c}/comments`, partner, { text: 'PoE attached.' });
  await seedAvailableDocument({ table: { client: seedCounter.client, tableName }, clock }, id);
  await call('POST', `${c}/submit`, partner, {});
  await call('GET', '/v1/claims?limit=25', reviewer);
  await call('POST', `${c}/start-review`, reviewer, {});
  await call('POST', `${c}/request-info`, reviewer, { reasons: ['missingOrOldDates'], comment: 'No dates.' });
  await seedAvailableDocument({ table: { client: seedCounter.client, tableName }, clock }, id);
  await call('POST', `${c}/submit`, partner, {}); // back to underReview
  await call('GET', `${c}/history`, reviewer);
  await call('POST', `${c}/approve`, reviewer, { comment: 'Convincing PoE.' });
  await call('GET', c, partner);
  const lifecycle = cloud.lifecycle;
  if (!lifecycle) throw new Error('No lifecycle runtime.');
  await lifecycle.settle();
  const emails = (
    (await (await fetch(`${lifecycle.ses.url}/store`)).json()) as { emails: { subject: string }[] }
  ).emails.length;
  // This runtime only ever saw this claim: every execution it started was stopped or runs.
  const executions = lifecycle.timers.counts();
  const timers = executions.started;
  const timersRun = executions.started - executions.stopped;
  const events = lifecycle.events.events.filter((e) => e.claimId === id).length;
  const apiCalls = counter.calls.slice(start);
  const dynamoRequests = apiCalls.length + seedCounter.calls.length;
  const wru = writeUnitsOf(apiCalls) + writeUnitsOf(seedCounter.calls);
  const rru = readUnitsOf(apiCalls) + readUnitsOf(seedCounter.calls);
  const relayInvocations = events; // upper bound: one stream batch per outbox event
  const lambdaInvocations = apiRequests + relayInvocations + timersRun;
  const gbSeconds = apiRequests * 0.15 + relayInvocations * 0.2 + timersRun * 0.1;
  const stateTransitions =
    timersRun * TRANSITIONS_PER_EXECUTION.completed + executions.stopped * TRANSITIONS_PER_EXECUTION.stopped;
  const lines = {
    apiGateway: (apiRequests * PRICES.apiGatewayHttpPerMillion) / 1e6,
    lambda:
      (lambdaInvocations * PRICES.lambdaPerMillionRequests) / 1e6 + gbSeconds * PRICES.lambdaPerGbSecondArm,
    dynamoDb: (wru * PRICES.dynamoDbPerMillionWru + rru * PRICES.dynamoDbPerMillionRru) / 1e6,
    stepFunctions: (stateTransitions * PRICES.stepFunctionsPerThousandTransitions) / 1e3,
    ses: (emails * PRICES.sesPerThousandEmails) / 1e3,
    eventBridge: (events * PRICES.eventBridgePerMillionEvents) / 1e6,
  };
  const totalUsd = Object.values(lines).reduce((a, b) => a + b, 0);
  const counted = {
    apiRequests,
    dynamoDbRequests: dynamoRequests,
    writeUnits: round(wru),
    readUnits: round(rru),
    lambdaInvocations,
    lambdaGbSeconds: round(gbSeconds, 3),
    timers,
    timersStopped: executions.stopped,
    stepFunctionsStateTransitions: stateTransitions,
    emails,
    domainEvents: events,
  };
  printTable(
    `(f) One claim's lifecycle (create, edit, comment, 2 PoE, submit, review, request-info, resubmit, approve) at ${PRICES.region} list prices of ${PRICES.date}`,
    ['line', 'usage', 'USD'],
    [
      ['API Gateway HTTP', `${apiRequests} requests`, lines.apiGateway.toExponential(2)],
      [
        'Lambda (1 GB arm64)',
        `${lambdaInvocations} invocations, ${round(gbSeconds, 2)} GB-s`,
        lines.lambda.toExponential(2),
      ],
      [
        'DynamoDB on-demand',
        `${dynamoRequests} requests, ${round(wru)} WRU, ${round(rru)} RRU`,
        lines.dynamoDb.toExponential(2),
      ],
      [
        'Step Functions',
        `${timers} timers (${executions.stopped} stopped: 1 each, ${timersRun} run: 3 each) = ${stateTransitions} transitions`,
        lines.stepFunctions.toExponential(2),
      ],
      ['SES', `${emails} emails`, lines.ses.toExponential(2)],
      ['EventBridge', `${events} events`, lines.eventBridge.toExponential(2)],
      ['total', '', totalUsd.toExponential(3)],
    ],
  );
  return {
    prices: PRICES,
    counted,
    usd: Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, Number(v.toPrecision(3))])),
    totalUsd: Number(totalUsd.toPrecision(3)),
    notes:
      'DynamoDB units as DynamoDB Local reports them (API + PoE seed); the relay and timer functions’ own DynamoDB writes (email ledger, consent token) are not counted. Lambda GB-s from README durations (150/200/100 ms at 1 GB).',
  };
}

async function coldStarts(endpoint: string, tableName: string) {
  const outDir = join(ROOT, 'node_modules', '.cache', 'cpor-bench');
  mkdirSync(outDir, { recursive: true });
  const banner =
    "import { createRequire as __cporCreateRequire } from 'node:module'; const require = __cporCreateRequire(import.meta.url);";
  const bundle = async (entry: string, name: string, calendar: boolean) => {
    const outfile = join(outDir, `${name}.mjs`);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      mainFields: ['module', 'main'],
      banner: { js: banner },
      logLevel: 'error',
      alias: leanDependencyAliases({ projectRoot: ROOT, ...(calendar && { holidaysCountry: 'US' }) }),
    });
    return outfile;
  };
  const context = {
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '1024',
    awsRequestId: 'bench-request',
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
  };
  const claimId = randomUUID();
  const apiEvent = {
    version: '2.0',
    routeKey: 'GET /v1/claims/{id}',
    rawPath: `/v1/claims/${claimId}`,
    rawQueryString: '',
    headers: { host: 'localhost' },
    pathParameters: { id: claimId },
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: 'GET',
        path: `/v1/claims/${claimId}`,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: 'bench',
      routeKey: 'GET /v1/claims/{id}',
      stage: '$default',
      time: '24/Nov/2026:08:00:00 +0000',
      timeEpoch: Date.now(),
      authorizer: {
        jwt: { claims: { sub: 'cold', partnerId: 'bench-cold', roles: '[Partner.GlobalAdmin]' }, scopes: [] },
      },
    },
  };
  const consentEvent = {
    ...apiEvent,
    routeKey: 'GET /consent/{token}',
    rawPath: '/consent/unknown-token',
    pathParameters: { token: 'unknown-token' },
    requestContext: {
      ...apiEvent.requestContext,
      routeKey: 'GET /consent/{token}',
      http: { ...apiEvent.requestContext.http, path: '/consent/unknown-token' },
      authorizer: undefined,
    },
  };
  const functions = [
    {
      name: 'api',
      entry: 'functions/api.ts',
      calendar: true,
      event: apiEvent,
      firstRequest: 'GET claim (1 GetItem, 404)',
    },
    {
      name: 'consent',
      entry: 'functions/consent.ts',
      calendar: true,
      event: consentEvent,
      firstRequest: 'GET consent page, unknown token',
    },
    {
      name: 'outbox-relay',
      entry: 'functions/outbox-relay.ts',
      calendar: false,
      event: { Records: [] },
      firstRequest: 'empty stream batch',
    },
    {
      name: 'expire-deadline',
      entry: 'functions/expire-deadline.ts',
      calendar: true,
      event: { claimId, deadline: 'reviewStartBy', dueAt: new Date().toISOString() },
      firstRequest: 'timer of a missing claim (1 GetItem)',
    },
    {
      name: 'verify-upload',
      entry: 'functions/verify-upload.ts',
      calendar: false,
      event: { Records: [] },
      firstRequest: 'empty S3 event',
    },
  ];
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL: endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    TABLE_NAME: tableName,
    IDEMPOTENCY_TABLE_NAME: `${tableName}-idempotency`,
    CURSOR_SECRET: 'x'.repeat(43),
    CONSENT_SECRET: 'y'.repeat(43),
    DOCUMENTS_BUCKET_NAME: 'bench-documents',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
    EVENT_BUS_NAME: 'bench',
    SENDER_ADDRESS: 'no-reply@example.com',
    PUBLIC_BASE_URL: 'https://example.com',
  };
  const probe = join(outDir, 'probe.mjs');
  writeFileSync(
    probe,
    [
      "import { pathToFileURL } from 'node:url';",
      'const t0 = performance.now();',
      'const mod = await import(pathToFileURL(process.argv[2]).href);',
      'const t1 = performance.now();',
      'const event = JSON.parse(process.argv[3]);',
      `const context = ${JSON.stringify(context).replace('"getRemainingTimeInMillis":30000', '')};`,
      'context.getRemainingTimeInMillis = () => 30000;',
      'let outcome = "ok";',
      'try { const r = await mod.handler(event, context); outcome = String(r?.statusCode ?? "ok"); } catch (e) { outcome = "threw " + e.name; }',
      'const t2 = performance.now();',
      'console.log(JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t1, outcome, processMs: t2 }));',
      'process.exit(0);',
    ].join('\n'),
  );
  const rows: Record<string, unknown>[] = [];
  for (const fn of functions) {
    const outfile = await bundle(join(ROOT, fn.entry), fn.name, fn.calendar);
    // The baseline: the same SDK clients, built and used for the same DynamoDB call.
    const usesDynamo = ['api', 'consent', 'expire-deadline'].includes(fn.name);
    const baselineSource = join(outDir, `${fn.name}-baseline.ts`);
    writeFileSync(baselineSource, baselineOf(fn.name, usesDynamo));
    const baselineFile = await bundle(baselineSource, `${fn.name}-baseline`, false);
    const sample = (file: string) => {
      const runs: { importMs: number; firstMs: number; totalMs: number; outcome: string }[] = [];
      for (let i = 0; i < COLD_RUNS; i++) {
        const out = spawnSync(process.execPath, [probe, file, JSON.stringify(fn.event)], {
          env,
          encoding: 'utf8',
          timeout: 60_000,
        });
        const line = out.stdout
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('{"importMs"'))
          .pop();
        if (!line) throw new Error(`cold start of ${file} printed nothing: ${out.stderr}`);
        const r = JSON.parse(line) as { importMs: number; firstMs: number; outcome: string };
        runs.push({ ...r, totalMs: r.importMs + r.firstMs });
      }
      const med = (key: 'importMs' | 'firstMs' | 'totalMs') =>
        percentile(
          runs.map((r) => r[key]),
          50,
        );
      return {
        importMs: med('importMs'),
        firstMs: med('firstMs'),
        totalMs: med('totalMs'),
        outcome: runs[0]?.outcome,
      };
    };
    const measured = sample(outfile);
    const baseline = sample(baselineFile);
    rows.push({
      function: fn.name,
      bundleBytes: statSync(outfile).size,
      baselineBundleBytes: statSync(baselineFile).size,
      firstRequest: fn.firstRequest,
      outcome: measured.outcome,
      importMs: round(measured.importMs, 1),
      firstRequestMs: round(measured.firstMs, 1),
      coldMs: round(measured.totalMs, 1),
      baselineColdMs: round(baseline.totalMs, 1),
      coldRatio: round(measured.totalMs / baseline.totalMs),
      sizeRatio: round(statSync(outfile).size / statSync(baselineFile).size),
    });
  }
  printTable(
    `(c, d) Cold start (median of ${COLD_RUNS} fresh Node processes: import + first request) and bundle size, vs a baseline with the same SDK clients`,
    [
      'function',
      'bundle KB',
      'baseline KB',
      'size ratio',
      'import ms',
      'first req ms',
      'cold ms',
      'baseline ms',
      'cold ratio',
      'first request',
    ],
    rows.map((r) => [
      r.function as string,
      round((r.bundleBytes as number) / 1024, 0),
      round((r.baselineBundleBytes as number) / 1024, 0),
      `${r.sizeRatio}×`,
      r.importMs as number,
      r.firstRequestMs as number,
      r.coldMs as number,
      r.baselineColdMs as number,
      `${r.coldRatio}×`,
      `${r.firstRequest} → ${r.outcome}`,
    ]),
  );
  return rows;
}

/** A handler that imports (and builds) the SDK clients the function's entry builds, and nothing else. */
function baselineOf(name: string, usesDynamo: boolean): string {
  const clients: Record<string, string[]> = {
    api: ['DynamoDBClient|@aws-sdk/client-dynamodb', 'S3Client|@aws-sdk/client-s3'],
    consent: ['DynamoDBClient|@aws-sdk/client-dynamodb'],
    'outbox-relay': [
      'DynamoDBClient|@aws-sdk/client-dynamodb',
      'SFNClient|@aws-sdk/client-sfn',
      'SESClient|@aws-sdk/client-ses',
      'EventBridgeClient|@aws-sdk/client-eventbridge',
    ],
    'expire-deadline': ['DynamoDBClient|@aws-sdk/client-dynamodb'],
    'verify-upload': ['DynamoDBClient|@aws-sdk/client-dynamodb', 'S3Client|@aws-sdk/client-s3'],
  };
  const list = (clients[name] ?? []).map((c) => c.split('|') as [string, string]);
  return [
    ...list.map(([cls, pkg]) => `import { ${cls} } from '${pkg}';`),
    "import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';",
    ...list.map(([cls], i) => `const c${i} = new ${cls}({});`),
    'const doc = DynamoDBDocumentClient.from(c0);',
    'export const handler = async (event: { pathParameters?: { id?: string } }) => {',
    usesDynamo
      ? "  await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: 'CLAIM#none', sk: 'CLAIM' }, ConsistentRead: true }));"
      : '  void doc;',
    `  void [${list.map((_, i) => `c${i}`).join(', ')}, event];`,
    '  return { statusCode: 200 };',
    '};',
    '',
  ].join('\n');
}
