/**
 * Creates the single table of `functions/storage-layout/table-schema.ts` in DynamoDB Local, the way
 * the CDK stateful stack declares it in the cloud: on-demand, stream with both images, the
 * global secondary indexes (projection ALL) and TTL.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  IDEMPOTENCY_TABLE,
  INDEXES,
  KEY,
  KEY_ATTRIBUTE_TYPE,
  TTL_ATTRIBUTE,
} from '../../functions/storage-layout/table-schema.js';

/** The global secondary indexes of the table, named as in `INDEXES`. */
export function globalSecondaryIndexes(): GlobalSecondaryIndex[] {
  return Object.entries(INDEXES).map(([name, keys]) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: keys.partition, KeyType: 'HASH' },
      { AttributeName: keys.sort, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  }));
}

/** The CreateTable request for `tableName`, derived from the shared schema. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const keyAttributes = [
    KEY.partition,
    KEY.sort,
    ...Object.values(INDEXES).flatMap((i) => [i.partition, i.sort]),
  ];
  const attributeDefinitions: AttributeDefinition[] = keyAttributes.map((name) => ({
    AttributeName: name,
    AttributeType: KEY_ATTRIBUTE_TYPE,
  }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: KEY.partition, KeyType: 'HASH' },
      { AttributeName: KEY.sort, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: attributeDefinitions,
    GlobalSecondaryIndexes: globalSecondaryIndexes(),
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

export interface EnsureTableResult {
  /** `true` when this call created the table, `false` when it already existed. */
  created: boolean;
  /** Indexes added to an existing table that predates them. */
  addedIndexes: string[];
}

/**
 * Makes sure `tableName` exists with the shared schema; idempotent. An existing table is kept
 * with its data; indexes added to the schema since it was created are added, and TTL is
 * switched on if it is not (so a start interrupted between the steps heals on the next one).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<EnsureTableResult> {
  const existing = await describe(client, tableName);
  let created = false;
  let addedIndexes: string[] = [];
  if (existing) {
    addedIndexes = await addMissingIndexes(client, tableName, existing);
  } else {
    try {
      await client.send(new CreateTableCommand(tableDefinition(tableName)));
      created = true;
    } catch (error) {
      // Another process created it between our DescribeTable and CreateTable.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists(
      { client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
      { TableName: tableName },
    );
  }
  await ensureTimeToLive(client, tableName);
  return { created, addedIndexes };
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function addMissingIndexes(
  client: DynamoDBClient,
  tableName: string,
  table: TableDescription,
): Promise<string[]> {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = globalSecondaryIndexes().filter((index) => !present.has(index.IndexName));
  const definitions = tableDefinition(tableName).AttributeDefinitions ?? [];
  // DynamoDB accepts one index creation per UpdateTable call.
  for (const index of missing) {
    const names = new Set(index.KeySchema?.map((k) => k.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: definitions.filter((d) => names.has(d.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    await waitUntilIndexesActive(client, tableName);
  }
  return missing.map((index) => index.IndexName ?? '');
}

async function waitUntilIndexesActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await describe(client, tableName);
    if ((table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE')) return;
    if (Date.now() >= deadline)
      throw new Error(`The indexes of ${tableName} did not become ACTIVE in ${timeoutMs} ms.`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function ensureTimeToLive(client: DynamoDBClient, tableName: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}

/** The Powertools idempotency table (`IDEMPOTENCY_TABLE`), created when missing. */
export async function ensureIdempotencyTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if (!(await describe(client, tableName))) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partition, KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE.partition, AttributeType: 'S' }],
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists(
      { client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
      { TableName: tableName },
    );
  }
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: IDEMPOTENCY_TABLE.ttl, Enabled: true },
    }),
  );
}
