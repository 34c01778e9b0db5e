/**
 * Verified PoE documents for workflow tests. Submitting a claim needs an `available` document;
 * the upload path (presigned POST to S3, then verification of the object) is covered by the
 * documents tests, so the workflow tests put the document in place through the real document
 * store on the test's DynamoDB Local: the same records, counters and history events an upload
 * leaves behind, without S3.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { DynamoDbDocumentStore } from '../../functions/adapters/dynamodb-document-store.js';
import type { Clock } from '../../functions/domain/clock.js';
import type { ClaimDocument } from '../../functions/domain/document.js';
import { createDocumentClient } from '../../functions/wiring.js';
import type { TestTable } from './dynamodb.js';

/** Generous: the limit is the documents feature's business, not the workflow's. */
const MAX_DOCUMENTS_PER_CLAIM = 100;

/**
 * Records a PoE document on the claim and marks it verified (`available`), as the upload
 * verifier would. Returns the document's id (usable in a dispute's `documentIds`).
 */
export async function seedAvailableDocument(
  api: { table: Pick<TestTable, 'client' | 'tableName'>; clock: Clock },
  claimId: string,
  uploaderSub = 'seed-uploader',
): Promise<string> {
  const client = createDocumentClient(api.table.client);
  const claims = new DynamoDbClaimStore(client, api.table.tableName);
  const documents = new DynamoDbDocumentStore(client, api.table.tableName, claims);
  const record = await claims.get(claimId);
  if (!record) throw new Error(`seedAvailableDocument: no claim ${claimId}`);
  const at = api.clock.now().toISOString();
  const id = randomUUID();
  const document: ClaimDocument = {
    id,
    claimId,
    fileName: 'proof-of-execution.pdf',
    contentType: 'application/pdf',
    size: 1024,
    status: 'pendingUpload',
    objectKey: `claims/${claimId}/documents/${id}`,
    createdAt: at,
    createdBy: uploaderSub,
    uploadExpiresAt: at,
  };
  const actor = { kind: 'partner' as const, sub: uploaderSub, partnerId: record.claim.partnerId };
  await documents.add(record, document, actor, at, MAX_DOCUMENTS_PER_CLAIM);
  const resolved = await documents.resolve(claimId, id, { status: 'available' }, at);
  if (resolved?.status !== 'available') throw new Error(`seedAvailableDocument: ${id} was not resolved`);
  return id;
}
