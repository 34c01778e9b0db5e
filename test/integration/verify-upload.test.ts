/**
 * The upload verifier as Lambda runs it (the S3Event handler), against DynamoDB Local and
 * s3rver: duplicate and concurrent events, stray keys, and the GuardDuty malware-scan gate.
 * s3rver emits object-created events but no tagging events, so the tests deliver the
 * `ObjectTagging:Put` notification themselves, as S3 would after GuardDuty tagged the object.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectContentType, measureZipArchive } from '../../functions/adapters/content-type-detector.js';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { DynamoDbDocumentStore } from '../../functions/adapters/dynamodb-document-store.js';
import { S3DocumentObjects } from '../../functions/adapters/s3-document-objects.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { type ClaimDocument, documentObjectKey, documentPolicy } from '../../functions/domain/document.js';
import {
  buildVerifyUploadHandler,
  type VerifyUploadHandler,
} from '../../functions/events/verify-upload-handler.js';
import { uploadKeyOf } from '../../functions/storage-layout/document-object-keys.js';
import { verifyUploadedDocument } from '../../functions/use-cases/verify-upload.js';
import { createDocumentClient, createS3Client, createVerifyUploadDeps } from '../../functions/wiring.js';
import { LOCAL_AWS_REGION } from '../../infra/local/dynamodb-local.js';
import { lambdaContext } from '../../infra/local/lambda-context.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { startLocalS3 } from '../../infra/local/s3-local.js';
import { claimDraft } from '../support/claim-draft.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { sampleDocxBomb, sampleHtml, samplePdf } from '../support/sample-files.js';
import { partner, walkClaim } from '../support/store-fixtures.js';

const PDF = 'application/pdf';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

interface Harness {
  cloud: LocalCloud;
  table: TestTable;
  token: string;
  /** The verifier handler, built as the Lambda entry builds it. */
  verify: VerifyUploadHandler;
  stop(): Promise<void>;
}

async function startHarness(malwareScanning: boolean): Promise<Harness> {
  const table = await createTestTable('verify');
  const clock = new ManualClock(new Date());
  const cloud = await startLocalCloud({
    dynamoDbEndpoint: table.endpoint,
    tableName: table.tableName,
    clock,
    malwareScanning,
  });
  const response = await fetch(`${cloud.url}/_local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'alice', partnerId: 'partner-a', roles: ['Partner.GlobalAdmin'] }),
  });
  const { token } = (await response.json()) as { token: string };
  const verify = buildVerifyUploadHandler(
    createVerifyUploadDeps({
      tableName: table.tableName,
      dynamoDbEndpoint: table.endpoint,
      region: LOCAL_AWS_REGION,
      clock,
      documentsBucketName: cloud.s3.bucketName,
      s3Endpoint: cloud.s3.endpoint,
      malwareScanning,
      logger: new Logger({ logLevel: 'WARN' }),
    }),
  );
  return {
    cloud,
    table,
    token,
    verify,
    async stop() {
      try {
        await cloud.stop();
      } finally {
        await table.destroy();
      }
    },
  };
}

/** An S3 event notification as Lambda receives it (keys form-encoded). */
function s3Event(bucket: string, key: string, eventName: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName,
        userIdentity: { principalId: 'AWS:TEST' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'TEST', 'x-amz-id-2': 'TEST' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'verify-upload',
          bucket: { name: bucket, ownerIdentity: { principalId: 'TEST' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: key.split('/').map(encodeURIComponent).join('/'),
            size: 0,
            eTag: '',
            sequencer: '0',
          },
        },
      },
    ],
  };
}

async function api(harness: Harness, method: string, path: string, body?: unknown) {
  const response = await fetch(`${harness.cloud.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${harness.token}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function newClaim(harness: Harness): Promise<string> {
  const created = await api(harness, 'POST', '/v1/claims', claimDraft({ name: 'Contoso rollout' }));
  expect(created.status).toBe(201);
  return created.json.id as string;
}

/** Declares a document (a PDF unless told) and uploads `bytes` through its presigned POST; returns its id and keys. */
async function upload(
  harness: Harness,
  claimId: string,
  bytes: Buffer,
  size = bytes.length,
  declared_: { fileName: string; contentType: string } = { fileName: 'proof.pdf', contentType: PDF },
) {
  const declared = await api(harness, 'POST', `/v1/claims/${claimId}/documents`, { ...declared_, size });
  expect(declared.status).toBe(201);
  const { document, upload: post } = declared.json as {
    document: { id: string };
    upload: { url: string; fields: Record<string, string> };
  };
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), declared_.fileName);
  expect((await fetch(post.url, { method: 'POST', body: form })).status).toBe(204);
  await harness.cloud.s3.settled();
  const objectKey = documentObjectKey(claimId, document.id);
  return { documentId: document.id, objectKey, uploadKey: uploadKeyOf(objectKey) };
}

async function documentOf(harness: Harness, claimId: string, documentId: string) {
  const { json } = await api(harness, 'GET', `/v1/claims/${claimId}/documents`);
  return (
    json.items as { id: string; status: string; verifiedAt?: string; rejection?: { reason: string } }[]
  ).find((d) => d.id === documentId);
}

async function historyTypes(harness: Harness, claimId: string): Promise<string[]> {
  const { json } = await api(harness, 'GET', `/v1/claims/${claimId}/history`);
  return (json.items as { type: string }[]).map((e) => e.type).filter((t) => t.startsWith('document'));
}

async function exists(harness: Harness, key: string): Promise<boolean> {
  try {
    await createS3Client({ s3Endpoint: harness.cloud.s3.endpoint }).send(
      new HeadObjectCommand({ Bucket: harness.cloud.s3.bucketName, Key: key }),
    );
    return true;
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return false;
    throw error;
  }
}

const context = () => lambdaContext('verify-upload-test', Date.now() + 30_000);

describe('upload verifier (S3 events → handler), without malware scanning', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(false);
  });
  afterAll(async () => harness?.stop());

  it('is idempotent under a duplicate event: one documentAvailable, nothing changed', async () => {
    const claimId = await newClaim(harness);
    const { documentId, uploadKey } = await upload(harness, claimId, samplePdf());
    const before = await documentOf(harness, claimId, documentId);
    expect(before?.status).toBe('available');

    const report = await harness.verify(
      s3Event(harness.cloud.s3.bucketName, uploadKey, 'ObjectCreated:Post'),
      context(),
    );
    expect(report.results.map((r) => r.outcome)).toEqual(['alreadyResolved']);
    expect(await documentOf(harness, claimId, documentId)).toEqual(before);
    expect(await historyTypes(harness, claimId)).toEqual(['documentRequested', 'documentAvailable']);
  });

  it('resolves a document once under concurrent deliveries of the same event', async () => {
    const claimId = await newClaim(harness);
    const declared = await api(harness, 'POST', `/v1/claims/${claimId}/documents`, {
      fileName: 'proof.pdf',
      contentType: PDF,
      size: 4_000,
    });
    const documentId = (declared.json.document as { id: string }).id;
    const uploadKey = uploadKeyOf(documentObjectKey(claimId, documentId));
    // A direct PUT: the local forwarder sees it too, so four verifications race.
    await createS3Client({ s3Endpoint: harness.cloud.s3.endpoint }).send(
      new PutObjectCommand({ Bucket: harness.cloud.s3.bucketName, Key: uploadKey, Body: samplePdf(4_000) }),
    );
    const event = s3Event(harness.cloud.s3.bucketName, uploadKey, 'ObjectCreated:Put');
    const reports = await Promise.all([1, 2, 3].map(() => harness.verify(event, context())));
    await harness.cloud.s3.settled();

    const outcomes = reports.flatMap((r) => r.results.map((x) => x.outcome));
    expect(outcomes.every((o) => ['available', 'alreadyResolved', 'uploadMissing'].includes(o))).toBe(true);
    expect((await documentOf(harness, claimId, documentId))?.status).toBe('available');
    expect(await historyTypes(harness, claimId)).toEqual(['documentRequested', 'documentAvailable']);
    expect(await exists(harness, uploadKey)).toBe(false);
    // Each delivery writes the bytes it read itself, never a copy of the upload key that
    // another delivery may be deleting: the verified object survives.
    expect(await exists(harness, documentObjectKey(claimId, documentId))).toBe(true);
  });

  it('deletes an upload that belongs to no document, and ignores keys outside the upload layout', async () => {
    const claimId = await newClaim(harness);
    const strayKey = uploadKeyOf(documentObjectKey(claimId, randomUUID()));
    await createS3Client({ s3Endpoint: harness.cloud.s3.endpoint }).send(
      new PutObjectCommand({ Bucket: harness.cloud.s3.bucketName, Key: strayKey, Body: samplePdf() }),
    );
    await harness.cloud.s3.settled();
    expect(await exists(harness, strayKey)).toBe(false);

    const report = await harness.verify(
      s3Event(harness.cloud.s3.bucketName, 'claims/x/documents/y', 'ObjectCreated:Put'),
      context(),
    );
    expect(report.results.map((r) => r.outcome)).toEqual(['ignored']);
  });

  it('rejects a DOCX whose ZIP expands past the limits, naming the reason', async () => {
    const claimId = await newClaim(harness);
    const bomb = sampleDocxBomb();
    const { documentId, uploadKey, objectKey } = await upload(harness, claimId, bomb, bomb.length, {
      fileName: 'proof.docx',
      contentType: DOCX,
    });
    const document = await documentOf(harness, claimId, documentId);
    expect(document).toMatchObject({ status: 'rejected', rejection: { reason: 'archiveTooLarge' } });
    expect((document?.rejection as { detail?: string } | undefined)?.detail).toMatch(/expand/);
    expect(await exists(harness, uploadKey)).toBe(false);
    expect(await exists(harness, objectKey)).toBe(false);
  });
});

/**
 * A replay of the presigned POST replaces the upload between the check and the promotion.
 * No local cloud here (its event forwarder would verify the replacement on its own): s3rver,
 * the stores and the verifier, with the replacement injected at the SDK middleware of the
 * verifier's own S3 client, right before it writes the document's key. s3rver ignores
 * `CopySourceIfMatch` (S3 would refuse such a copy), so a copy of the upload key, as the
 * verifier used to make, publishes the replacement: the bytes written must be those checked.
 */
describe('upload verifier: the bytes checked are the bytes published', () => {
  it('keeps the verified PDF when an HTML file replaces the upload before the promotion', async () => {
    const table = await createTestTable('verify-race');
    const s3 = await startLocalS3({ bucketName: 'verify-race' });
    try {
      const clock = new ManualClock(new Date());
      const documentClient = createDocumentClient(table.client);
      const claims = new DynamoDbClaimStore(documentClient, table.tableName);
      const documents = new DynamoDbDocumentStore(documentClient, table.tableName, claims);
      const record = await walkClaim(claims, clock, randomUUID(), []);
      const pdf = samplePdf(4_000);
      const html = Buffer.concat([sampleHtml(), Buffer.alloc(pdf.length - sampleHtml().length, 0x20)]);
      const id = randomUUID();
      const at = clock.now().toISOString();
      const document: ClaimDocument = {
        id,
        claimId: record.claim.id,
        fileName: 'proof.pdf',
        contentType: PDF,
        size: pdf.length,
        status: 'pendingUpload',
        objectKey: documentObjectKey(record.claim.id, id),
        createdAt: at,
        createdBy: partner.sub,
        uploadExpiresAt: at,
      };
      await documents.add(record, document, partner, at, 10);

      const uploader = createS3Client({ s3Endpoint: s3.endpoint });
      const put = (body: Buffer) =>
        uploader.send(
          new PutObjectCommand({ Bucket: s3.bucketName, Key: uploadKeyOf(document.objectKey), Body: body }),
        );
      await put(pdf);

      const verifierClient = createS3Client({ s3Endpoint: s3.endpoint });
      let replaced = false;
      verifierClient.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { Key?: string };
          const writesDocument =
            (context.commandName === 'CopyObjectCommand' || context.commandName === 'PutObjectCommand') &&
            input.Key === document.objectKey;
          if (writesDocument && !replaced) {
            replaced = true;
            await put(html);
          }
          return next(args);
        },
        { step: 'initialize', name: 'replaceUploadBeforePromotion' },
      );
      const result = await verifyUploadedDocument(
        {
          documents,
          objects: new S3DocumentObjects({
            client: verifierClient,
            postSigner: createS3Client({ s3Endpoint: s3.endpoint }),
            bucketName: s3.bucketName,
          }),
          detectContentType,
          inspectArchive: measureZipArchive,
          documentPolicy: documentPolicy(),
          clock,
          malwareScanning: false,
        },
        { claimId: record.claim.id, documentId: id },
      );

      expect(replaced).toBe(true);
      expect(result.outcome).toBe('available');
      const published = await uploader.send(
        new GetObjectCommand({ Bucket: s3.bucketName, Key: document.objectKey }),
      );
      expect(Buffer.from((await published.Body?.transformToByteArray()) ?? [])).toEqual(pdf);
    } finally {
      await s3.stop();
      await table.destroy();
    }
  });
});

describe('upload verifier with malware scanning (GuardDuty tag gate)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(true);
  });
  afterAll(async () => harness?.stop());

  async function tag(key: string, status: string) {
    await createS3Client({ s3Endpoint: harness.cloud.s3.endpoint }).send(
      new PutObjectTaggingCommand({
        Bucket: harness.cloud.s3.bucketName,
        Key: key,
        Tagging: { TagSet: [{ Key: 'GuardDutyMalwareScanStatus', Value: status }] },
      }),
    );
    return harness.verify(s3Event(harness.cloud.s3.bucketName, key, 'ObjectTagging:Put'), context());
  }

  it('keeps a correct upload pending until the scan tags it clean, then makes it available', async () => {
    const claimId = await newClaim(harness);
    const { documentId, uploadKey, objectKey } = await upload(harness, claimId, samplePdf());
    expect((await documentOf(harness, claimId, documentId))?.status).toBe('pendingUpload');
    expect(await exists(harness, uploadKey)).toBe(true);
    const download = await api(harness, 'GET', `/v1/claims/${claimId}/documents/${documentId}/download`);
    expect(download.status).toBe(409);

    const report = await tag(uploadKey, 'NO_THREATS_FOUND');
    expect(report.results.map((r) => r.outcome)).toEqual(['available']);
    expect((await documentOf(harness, claimId, documentId))?.status).toBe('available');
    expect(await exists(harness, objectKey)).toBe(true);
    expect(await exists(harness, uploadKey)).toBe(false);
  });

  it('rejects an upload the scan found a threat in, and deletes it', async () => {
    const claimId = await newClaim(harness);
    const { documentId, uploadKey, objectKey } = await upload(harness, claimId, samplePdf());
    const report = await tag(uploadKey, 'THREATS_FOUND');
    expect(report.results.map((r) => r.outcome)).toEqual(['rejected']);
    expect(await documentOf(harness, claimId, documentId)).toMatchObject({
      status: 'rejected',
      rejection: { reason: 'malwareDetected' },
    });
    expect(await exists(harness, uploadKey)).toBe(false);
    expect(await exists(harness, objectKey)).toBe(false);
  });

  it('rejects a wrong type at once, without waiting for the scan', async () => {
    const claimId = await newClaim(harness);
    const { documentId, uploadKey } = await upload(harness, claimId, sampleHtml());
    expect(await documentOf(harness, claimId, documentId)).toMatchObject({
      status: 'rejected',
      rejection: { reason: 'typeMismatch' },
    });
    expect(await exists(harness, uploadKey)).toBe(false);
  });
});
