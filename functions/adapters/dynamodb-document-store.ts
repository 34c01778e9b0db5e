/**
 * PoE document records (`CLAIM#<id> | DOC#<docId>`) on the claims table. Every change is one
 * transaction with the claim item's counters and history head and a history event, so the
 * claim's history always tells what happened to its documents.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Actor } from '../domain/claim.js';
import type { ClaimDocument, UploadVerdict } from '../domain/document.js';
import { DocumentLimitError } from '../domain/errors.js';
import { chainEvent } from '../domain/history.js';
import type { ClaimRecord } from '../domain/ports/claim-store.js';
import type { DocumentStore } from '../domain/ports/documents.js';
import { retryOnVersionConflict } from '../domain/version-conflict.js';
import { KEY } from '../storage-layout/table-schema.js';
import {
  claimKey,
  type DynamoDbClaimStore,
  historyPut,
  queryClaimItems,
  transactOrConflict,
} from './dynamodb-claim-store.js';

const documentKey = (claimId: string, documentId: string) => ({
  [KEY.partition]: `CLAIM#${claimId}`,
  [KEY.sort]: `DOC#${documentId}`,
});

const SYSTEM: Actor = { kind: 'system' };

export class DynamoDbDocumentStore implements DocumentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly claims: DynamoDbClaimStore,
  ) {}

  async add(
    before: ClaimRecord,
    document: ClaimDocument,
    actor: Actor,
    at: string,
    maxPerClaim: number,
  ): Promise<void> {
    if (before.documents.total >= maxPerClaim) throw new DocumentLimitError(maxPerClaim);
    const event = chainEvent(
      {
        type: 'documentRequested',
        documentId: document.id,
        version: before.claim.version,
        toStatus: before.claim.status,
      },
      { id: randomUUID(), claimId: document.claimId, at, actor },
      before.head,
    );
    await transactOrConflict(
      this.client,
      [
        {
          Update: {
            TableName: this.tableName,
            Key: claimKey(document.claimId),
            UpdateExpression: 'SET historySeq = :seq, historyHash = :hash ADD documentsTotal :one',
            // The limit is checked in the write itself, so racing uploads cannot pass it.
            ConditionExpression:
              'historySeq = :prevSeq AND (attribute_not_exists(documentsTotal) OR documentsTotal < :max)',
            ExpressionAttributeValues: {
              ':seq': event.seq,
              ':hash': event.hash,
              ':prevSeq': before.head.seq,
              ':one': 1,
              ':max': maxPerClaim,
            },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: { ...documentKey(document.claimId, document.id), type: 'document', document },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': KEY.partition },
          },
        },
        historyPut(this.tableName, event),
      ],
      document.claimId,
      before.claim.version,
    );
  }

  async resolve(
    claimId: string,
    documentId: string,
    verdict: UploadVerdict,
    at: string,
  ): Promise<ClaimDocument | undefined> {
    // Retried when a concurrent event took the history head first.
    return retryOnVersionConflict(async () => {
      const [record, document] = await Promise.all([this.claims.get(claimId), this.get(claimId, documentId)]);
      if (!record || !document || document.status !== 'pendingUpload') return undefined;
      const resolved: ClaimDocument =
        verdict.status === 'available'
          ? { ...document, status: 'available', verifiedAt: at }
          : {
              ...document,
              status: 'rejected',
              rejection: { reason: verdict.reason, detail: verdict.detail, at },
            };
      const event = chainEvent(
        {
          type: verdict.status === 'available' ? 'documentAvailable' : 'documentRejected',
          documentId,
          version: record.claim.version,
          toStatus: record.claim.status,
          ...(verdict.status === 'rejected' && { comment: verdict.detail }),
        },
        { id: randomUUID(), claimId, at, actor: SYSTEM },
        record.head,
      );
      await transactOrConflict(
        this.client,
        [
          {
            Update: {
              TableName: this.tableName,
              Key: claimKey(claimId),
              UpdateExpression:
                verdict.status === 'available'
                  ? 'SET historySeq = :seq, historyHash = :hash ADD documentsAvailable :one'
                  : 'SET historySeq = :seq, historyHash = :hash',
              ConditionExpression: 'historySeq = :prevSeq',
              ExpressionAttributeValues: {
                ':seq': event.seq,
                ':hash': event.hash,
                ':prevSeq': record.head.seq,
                ...(verdict.status === 'available' && { ':one': 1 }),
              },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: { ...documentKey(claimId, documentId), type: 'document', document: resolved },
              // Only a pending upload is resolved, once: a duplicate S3 event changes nothing.
              ConditionExpression: '#document.#status = :pending',
              ExpressionAttributeNames: { '#document': 'document', '#status': 'status' },
              ExpressionAttributeValues: { ':pending': 'pendingUpload' },
            },
          },
          historyPut(this.tableName, event),
        ],
        claimId,
        record.claim.version,
      );
      return resolved;
    });
  }

  async get(claimId: string, documentId: string): Promise<ClaimDocument | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: documentKey(claimId, documentId),
        ConsistentRead: true,
      }),
    );
    return Item?.document as ClaimDocument | undefined;
  }

  async list(claimId: string): Promise<ClaimDocument[]> {
    const items = await queryClaimItems(this.client, this.tableName, claimId, 'DOC#');
    return items
      .map((item) => item.document as ClaimDocument)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}
