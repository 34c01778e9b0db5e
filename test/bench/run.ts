/**
 * `npm run bench`: the service's figures, each as a ratio measured in this run against its own
 * DynamoDB Local (in memory) and local stack. Runs the benchmarks one after the other (one file
 * each), prints a table per figure and writes `bench-results.json`. Bounded: a few minutes on
 * 2 cores.
 */
import { availableParallelism, cpus } from 'node:os';
import { ensureTable } from '../../infra/local/create-table.js';
import { createLocalDynamoDbClient, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { type BenchEnvironment, startApiBench } from './api-bench.js';
import { coldStarts } from './cold-starts.js';
import { lifecycleCost } from './lifecycle-cost.js';
import { listCost } from './list-cost.js';
import { requestsPerOperation } from './requests-per-operation.js';
import { benchLog, round, writeBenchResults } from './support.js';
import { timerExecutionsBench } from './timer-executions.js';
import { warmLatency } from './warm-latency.js';

const runStarted = performance.now();
const results: Record<string, unknown> = {
  generatedAt: new Date().toISOString(),
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.version },
};

const dynamoDb = await startDynamoDbLocal();
const raw = createLocalDynamoDbClient(dynamoDb.endpoint);
const clouds: LocalCloud[] = [];
const env: BenchEnvironment = {
  dynamoDbEndpoint: dynamoDb.endpoint,
  raw,
  async startCloud(options) {
    const cloud = await startLocalCloud(options);
    clouds.push(cloud);
    return cloud;
  },
};
try {
  const bench = await startApiBench(env);

  benchLog('requests per operation');
  const perOperation = await requestsPerOperation(bench);
  results.requestsPerOperation = perOperation.rows;

  benchLog('warm latency');
  results.warmLatency = await warmLatency(bench, perOperation.claimId);

  benchLog('list cost: seeding');
  results.listCost = await listCost(bench, perOperation.warmClaimId);

  benchLog('lifecycle cost');
  results.lifecycleCost = await lifecycleCost(env);

  benchLog('timer executions');
  results.timerExecutions = await timerExecutionsBench(dynamoDb.endpoint);

  benchLog('bundles and cold starts');
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
writeBenchResults(results, (key) => key === 'load');
console.log(`\nWrote bench-results.json; the run took ${results.runSeconds} s.`);
