/**
 * Which emails went out, as `CLAIM#<id> | EMAIL#<eventId>#<template>` items beside the claim:
 * `sending` with a lease while a relay is sending it, then `sent` with SES's message id. The
 * items are operational, so they expire (TTL) once no redelivery of their event can come.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EmailLease, EmailLedger, LeaseRequest, SentEmail } from '../domain/ports/email.js';
import { KEY, TTL_ATTRIBUTE } from '../storage-layout/table-schema.js';

/**
 * How long a ledger item is kept: longer than any way its outbox event can come back (the
 * stream keeps records 24 hours, the table outbox items 7 days, the relay's dead-letter queue
 * its messages 14 days), after which a redelivery could send the email again.
 */
export const EMAIL_LEDGER_RETENTION_SECONDS = 30 * 24 * 3600;

export class DynamoDbEmailLedger implements EmailLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(claimId: string, key: string, request: LeaseRequest): Promise<EmailLease> {
    const leaseId = randomUUID();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(claimId, key),
            type: 'email',
            state: 'sending',
            leaseId,
            leaseUntil: request.until.toISOString(),
            at: request.now.toISOString(),
            [TTL_ATTRIBUTE]: expiry(request.now),
          },
          // A new marker, or a lease whose holder ran out of time (it crashed, or its Lambda
          // timed out): the condition is checked on the item as it is, so of two relays that
          // found the same lease expired only one takes it over.
          ConditionExpression: 'attribute_not_exists(#pk) OR (#state = :sending AND #leaseUntil <= :now)',
          ExpressionAttributeNames: { '#pk': KEY.partition, '#state': 'state', '#leaseUntil': 'leaseUntil' },
          ExpressionAttributeValues: { ':sending': 'sending', ':now': request.now.toISOString() },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'acquired', leaseId };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = error.Item as { state?: { S?: string }; leaseUntil?: { S?: string } } | undefined;
      // A marker without a state predates the lease (written just before SES was called, and
      // deleted again when SES failed): treat it as sent rather than risk a duplicate.
      if (current?.state?.S === 'sending') return { outcome: 'leased', until: current.leaseUntil?.S ?? '' };
      return { outcome: 'sent' };
    }
  }

  async markSent(claimId: string, key: string, sent: SentEmail): Promise<void> {
    // Unconditional: if the lease was taken over meanwhile, the email went out all the same.
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...this.key(claimId, key),
          type: 'email',
          state: 'sent',
          messageId: sent.messageId,
          at: sent.at.toISOString(),
          [TTL_ATTRIBUTE]: expiry(sent.at),
        },
      }),
    );
  }

  async release(claimId: string, key: string, leaseId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(claimId, key),
          // Only our own lease: never a marker another relay took over or already marked sent.
          ConditionExpression: '#state = :sending AND #leaseId = :leaseId',
          ExpressionAttributeNames: { '#state': 'state', '#leaseId': 'leaseId' },
          ExpressionAttributeValues: { ':sending': 'sending', ':leaseId': leaseId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private key(claimId: string, key: string) {
    return { [KEY.partition]: `CLAIM#${claimId}`, [KEY.sort]: `EMAIL#${key}` };
  }
}

function expiry(from: Date): number {
  return Math.floor(from.getTime() / 1000) + EMAIL_LEDGER_RETENTION_SECONDS;
}
