/**
 * Benchmarks (c, d): each function's cold start (import + first request, median of fresh Node
 * processes) and bundle size, against a baseline bundle with the same SDK clients and nothing else.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { leanDependencyAliases } from '../../infra/constructs/lean-dependencies.js';
import { percentile, printTable, ROOT, round } from './support.js';

const COLD_RUNS = 7;

/**
 * Bundles each Lambda entry as CDK does and starts it in fresh Node processes against table
 * `tableName`, beside a baseline that only builds the same SDK clients; prints table (c, d).
 */
export async function coldStarts(endpoint: string, tableName: string) {
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
