/**
 * Benchmark (f): what one claim's whole lifecycle costs (create, edit, comment, two PoE, submit,
 * review, request-info, resubmit, approve) with the relay, emails and timers running, counted
 * and priced at the README's list prices.
 */
import { randomUUID } from 'node:crypto';
import { seedAvailableDocument } from '../support/documents.js';
import { type BenchEnvironment, startBenchCloud } from './api-bench.js';
import { countingDynamoDbClient, draft, printTable, readUnitsOf, round, writeUnitsOf } from './support.js';
import { TRANSITIONS_PER_EXECUTION } from './timer-executions.js';

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

/** Takes one claim create → approved with the lifecycle runtime on, counts, prices; prints table (f). */
export async function lifecycleCost(env: BenchEnvironment) {
  const seedCounter = countingDynamoDbClient(env.dynamoDbEndpoint);
  const tableName = 'bench-lifecycle';
  const { cloud, clock, counter, request, partner, reviewer } = await startBenchCloud(env, {
    tableName,
    lifecycle: true,
    name: 'life',
    partnerId: 'bench-life',
  });
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
