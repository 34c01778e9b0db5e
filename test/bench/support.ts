/**
 * Shared by the benchmarks (`run.ts`) and the load test (`load.ts`): a DynamoDB client that
 * counts every request (and asks for its consumed capacity), a small HTTP client for the local
 * API, latency percentiles and the draft claim the runs create. Plain Node: no vitest here.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalDynamoDbClient } from '../../infra/local/dynamodb-local.js';
import { claimDraft, draftCustomer } from '../support/claim-draft.js';

/** The project's root folder: bench-results.json and the bundles' cache are under it. */
export const ROOT = resolve(import.meta.dirname, '../..');

const benchStarted = performance.now();
/** A progress line on stderr, with the seconds since the bench started. */
export const benchLog = (message: string) =>
  console.error(`[bench ${((performance.now() - benchStarted) / 1000).toFixed(0)}s] ${message}`);

/** One DynamoDB request the service sent, with the capacity DynamoDB Local reported. */
export interface CountedCall {
  command: string;
  readUnits: number;
  writeUnits: number;
  /** `CapacityUnits` when DynamoDB reported no read/write split. */
  units: number;
}

export interface CountingClient {
  client: DynamoDBClient;
  calls: CountedCall[];
  /** Runs `work` and returns the calls it made (nothing else may run meanwhile). */
  measure<T>(work: () => Promise<T>): Promise<{ result: T; calls: CountedCall[] }>;
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** A client for DynamoDB Local whose middleware records every request and its capacity. */
export function countingDynamoDbClient(endpoint: string): CountingClient {
  const client = createLocalDynamoDbClient(endpoint);
  const calls: CountedCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      const input = args.input as Record<string, unknown>;
      if (CAPACITY_COMMANDS.has(command) && input.ReturnConsumedCapacity === undefined) {
        input.ReturnConsumedCapacity = 'TOTAL';
      }
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
      const call: CountedCall = { command, readUnits: 0, writeUnits: 0, units: 0 };
      for (const c of list) {
        call.readUnits += c.ReadCapacityUnits ?? 0;
        call.writeUnits += c.WriteCapacityUnits ?? 0;
        call.units += c.CapacityUnits ?? 0;
      }
      calls.push(call);
      return result;
    },
    { step: 'initialize', name: 'benchRequestCounter', priority: 'high' },
  );
  return {
    client,
    calls,
    async measure(work) {
      const start = calls.length;
      const result = await work();
      return { result, calls: calls.slice(start) };
    },
  };
}

/** Read units of a call: DynamoDB Local reports reads as `CapacityUnits` on GetItem/Query. */
export const readUnitsOf = (calls: CountedCall[]) =>
  calls.reduce((sum, c) => sum + (c.readUnits || (isRead(c.command) ? c.units : 0)), 0);
export const writeUnitsOf = (calls: CountedCall[]) =>
  calls.reduce((sum, c) => sum + (c.writeUnits || (isRead(c.command) ? 0 : c.units)), 0);
const isRead = (command: string) =>
  [
    'GetItemCommand',
    'QueryCommand',
    'ScanCommand',
    'BatchGetItemCommand',
    'TransactGetItemsCommand',
  ].includes(command);

export interface HttpResponse {
  status: number;
  json: unknown;
  text: string;
  ms: number;
}

/** A fetch-based client of the local API, timing each request. */
export function httpClient(baseUrl: string) {
  return async function request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const started = performance.now();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    let json: unknown;
    if (/json/.test(response.headers.get('content-type') ?? '') && text) json = JSON.parse(text);
    return { status: response.status, json, text, ms };
  };
}
export type HttpRequest = ReturnType<typeof httpClient>;

export async function tokenOf(
  request: HttpRequest,
  claims: { sub: string; partnerId?: string; roles: string[] },
): Promise<string> {
  const response = await request('POST', '/_local/token', { body: claims });
  if (response.status !== 200) throw new Error(`POST /_local/token: ${response.status} ${response.text}`);
  return (response.json as { token: string }).token;
}

/** The shared valid draft, made unique by `tag` (name and domain: emails are matched on it). */
export function draft(tag: string, tenantId: string) {
  return claimDraft({
    name: `Rollout ${tag}`,
    customer: draftCustomer({
      tenantId,
      domain: `${tag}.example.com`,
      contact: { email: `chris@${tag}.example.com` },
    }),
  });
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Runs `worker` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (;;) {
        const index = next++;
        if (index >= items.length) return;
        results[index] = await worker(items[index] as T, index);
      }
    }),
  );
  return results;
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/**
 * Writes `bench-results.json` (git-ignored): `values`, plus the keys of the file as it was that
 * `keep` keeps (`npm run bench` keeps the load test's `load`; the load test keeps the others).
 */
export function writeBenchResults(values: Record<string, unknown>, keep: (key: string) => boolean): void {
  const file = join(ROOT, 'bench-results.json');
  const existing = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  const kept = Object.fromEntries(Object.entries(existing).filter(([key]) => keep(key)));
  writeFileSync(file, `${JSON.stringify({ ...values, ...kept }, null, 2)}\n`);
}
