/** Which emails went out, as `CLAIM#<id> | EMAIL#<eventId>#<template>` items beside the claim. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EmailLedger } from '../use-cases/relay-outbox.js';
import { KEY } from './table-schema.js';

export class DynamoDbEmailLedger implements EmailLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(claimId: string, key: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [KEY.partition]: `CLAIM#${claimId}`, [KEY.sort]: `EMAIL#${key}`, type: 'email', at },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': KEY.partition },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(claimId: string, key: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [KEY.partition]: `CLAIM#${claimId}`, [KEY.sort]: `EMAIL#${key}` },
      }),
    );
  }
}
