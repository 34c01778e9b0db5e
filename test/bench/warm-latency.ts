/**
 * Benchmark (b): warm latency through the local HTTP adapter and handler, against the bare
 * DynamoDB Local call the operation cannot do without (a GetItem; a two-item transaction).
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { claimKey } from '../../functions/adapters/dynamodb-claim-store.js';
import type { ApiBench } from './api-bench.js';
import { percentile, pool, printTable, round } from './support.js';

const LATENCY_SAMPLES = 500;
const TRANSITION_SAMPLES = 300;

/** Times GET claim (on `claimId`) and start-review, and their bare baselines; prints table (b). */
export async function warmLatency(bench: ApiBench, claimId: string) {
  const { raw, tableName, request, partner, reviewer } = bench;
  const getClaimMs: number[] = [];
  for (let i = 0; i < 30; i++) await request('GET', `/v1/claims/${claimId}`, { token: partner });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const r = await request('GET', `/v1/claims/${claimId}`, { token: partner });
    if (r.status !== 200) throw new Error(`GET claim: ${r.status}`);
    getClaimMs.push(r.ms);
  }
  const getItemMs: number[] = [];
  const getItem = () =>
    raw.send(
      new GetItemCommand({ TableName: tableName, Key: marshall(claimKey(claimId)), ConsistentRead: true }),
    );
  for (let i = 0; i < 30; i++) await getItem();
  for (let i = 0; i < LATENCY_SAMPLES; i++) getItemMs.push(await timeIt(getItem));

  const ready = await pool(Array.from({ length: TRANSITION_SAMPLES + 10 }), 2, () => bench.submitted());
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
  return latency;
}

async function timeIt(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}
