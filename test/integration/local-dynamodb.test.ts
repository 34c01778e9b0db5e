import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEXES, KEY, TTL_ATTRIBUTE } from '../../functions/storage-layout/table-schema.js';
import { ensureTable, tableDefinition } from '../../infra/local/create-table.js';
import {
  createLocalDynamoDbClient,
  DynamoDbLocalStartError,
  startDynamoDbLocal,
} from '../../infra/local/dynamodb-local.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';

/** Alive and not a zombie: a reparented zombie counts as gone (nobody may reap it in a container). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('the table on DynamoDB Local (ensureTable)', () => {
  let table: TestTable;
  beforeAll(async () => {
    table = await createTestTable('schema');
  });
  afterAll(async () => table?.destroy());

  it('creates the table on demand with stream, the five indexes and TTL', async () => {
    const { Table } = await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: KEY.partition, KeyType: 'HASH' },
      { AttributeName: KEY.sort, KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(Table?.LatestStreamArn).toMatch(/^arn:aws:dynamodb:/);
    const indexes = Object.fromEntries((Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i]));
    expect(Object.keys(indexes).sort()).toEqual(Object.keys(INDEXES).sort());
    for (const [name, keys] of Object.entries(INDEXES)) {
      expect(indexes[name]?.KeySchema).toEqual([
        { AttributeName: keys.partition, KeyType: 'HASH' },
        { AttributeName: keys.sort, KeyType: 'RANGE' },
      ]);
      expect(indexes[name]?.Projection?.ProjectionType).toBe('ALL');
      expect(indexes[name]?.IndexStatus).toBe('ACTIVE');
    }
    const ttl = await table.client.send(new DescribeTimeToLiveCommand({ TableName: table.tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: TTL_ATTRIBUTE,
    });
  });

  it('is idempotent: a second call keeps the table and its items', async () => {
    const item = { [KEY.partition]: { S: 'CLAIM#1' }, [KEY.sort]: { S: 'CLAIM' } };
    await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: item }));
    expect(await ensureTable(table.client, table.tableName)).toEqual({ created: false, addedIndexes: [] });
    const { Item } = await table.client.send(
      new GetItemCommand({ TableName: table.tableName, Key: item, ConsistentRead: true }),
    );
    expect(Item).toEqual(item);
  });

  it('adds indexes and TTL missing from a table created by an older schema', async () => {
    const tableName = `old-${Date.now()}`;
    const full = tableDefinition(tableName);
    const oldIndexes = full.GlobalSecondaryIndexes?.slice(0, 2) ?? [];
    const oldKeys = new Set([
      KEY.partition,
      KEY.sort,
      ...oldIndexes.flatMap((i) => i.KeySchema?.map((k) => k.AttributeName)),
    ]);
    await table.client.send(
      new CreateTableCommand({
        ...full,
        GlobalSecondaryIndexes: oldIndexes,
        AttributeDefinitions: full.AttributeDefinitions?.filter((d) => oldKeys.has(d.AttributeName)),
      }),
    );
    const result = await ensureTable(table.client, tableName);
    expect(result.created).toBe(false);
    expect(result.addedIndexes.sort()).toEqual(Object.keys(INDEXES).slice(2).sort());
    const { Table } = await table.client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(Object.keys(INDEXES).length);
    const ttl = await table.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
  });
});

describe('DynamoDB Local process', () => {
  it('keeps data in -dbPath across restarts and leaves no java process after stop()', async () => {
    const dbPath = mkdtempSync(join(tmpdir(), 'cpor-ddb-'));
    try {
      const item = { [KEY.partition]: { S: 'CLAIM#kept' }, [KEY.sort]: { S: 'CLAIM' } };
      const first = await startDynamoDbLocal({ dbPath });
      const client = createLocalDynamoDbClient(first.endpoint);
      expect(await ensureTable(client, 'kept')).toMatchObject({ created: true });
      await client.send(new PutItemCommand({ TableName: 'kept', Item: item }));
      client.destroy();
      expect(isRunning(first.pid)).toBe(true);
      await first.stop();
      expect(isRunning(first.pid)).toBe(false);
      await first.stop(); // a second stop is harmless

      const second = await startDynamoDbLocal({ dbPath });
      const again = createLocalDynamoDbClient(second.endpoint);
      try {
        expect(await ensureTable(again, 'kept')).toMatchObject({ created: false });
        const { Item } = await again.send(
          new GetItemCommand({ TableName: 'kept', Key: item, ConsistentRead: true }),
        );
        expect(Item).toEqual(item);
      } finally {
        again.destroy();
        await second.stop();
      }
      expect(isRunning(second.pid)).toBe(false);
    } finally {
      rmSync(dbPath, { recursive: true, force: true });
    }
  });

  it('takes its java process along when the node process crashes', async () => {
    const module = fileURLToPath(new URL('../../infra/local/dynamodb-local.ts', import.meta.url));
    const script = [
      `import { startDynamoDbLocal } from ${JSON.stringify(module)};`,
      'const local = await startDynamoDbLocal();',
      'console.log(JSON.stringify({ pid: local.pid }));',
      "setTimeout(() => { throw new Error('crash on purpose'); }, 10);",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(stderr).toContain('crash on purpose');
    expect(code).not.toBe(0);
    const { pid } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { pid: number };
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it('fails fast with a clear error when java cannot run', async () => {
    const attempt = startDynamoDbLocal({ javaPath: '/nonexistent/java' });
    await expect(attempt).rejects.toBeInstanceOf(DynamoDbLocalStartError);
    await expect(attempt).rejects.toThrow(/Could not run java/);
  });
});
