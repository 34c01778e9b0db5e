/** Per-file isolation on the run's one DynamoDB Local: every test file gets fresh tables. */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../infra/local/create-table.js';
import { createLocalDynamoDbClient } from '../../infra/local/dynamodb-local.js';

/** The endpoint the global setup started (or `DYNAMODB_ENDPOINT` in a plain node process). */
export function dynamoDbEndpoint(): string {
  const endpoint = inject('dynamoDbEndpoint') ?? process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    throw new Error('No DynamoDB endpoint: run this test in a project with test/support/global-setup.ts.');
  }
  return endpoint;
}

export interface TestTable {
  tableName: string;
  endpoint: string;
  /** A client for DynamoDB Local with the local credentials. */
  client: DynamoDBClient;
  /** Deletes the table and closes the client. */
  destroy(): Promise<void>;
}

/** A new, uniquely named table with the service's schema (via `ensureTable`). */
export async function createTestTable(prefix = 'test'): Promise<TestTable> {
  const endpoint = dynamoDbEndpoint();
  const tableName = `${prefix}-${randomUUID()}`;
  const client = createLocalDynamoDbClient(endpoint);
  await ensureTable(client, tableName);
  return {
    tableName,
    endpoint,
    client,
    async destroy() {
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
        // The local cloud adds an idempotency table beside it; gone with the test file too.
        await client
          .send(new DeleteTableCommand({ TableName: `${tableName}-idempotency` }))
          .catch((error: unknown) => {
            if ((error as Error).name !== 'ResourceNotFoundException') throw error;
          });
      } finally {
        client.destroy();
      }
    },
  };
}
