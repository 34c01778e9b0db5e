/**
 * The local S3 under real use (issue 10, items 7a, 7c and 10): concurrent writes of one key
 * never take the process down, an upload s3rver accepted while nothing verified it is verified
 * on the next start, and the port (so every presigned URL handed out) survives a restart.
 */

import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterEach, describe, expect, it } from 'vitest';
import { UPLOAD_PREFIX } from '../../functions/storage-layout/document-object-keys.js';
import { createS3Client } from '../../functions/wiring.js';
import { LOCAL_DOCUMENTS_BUCKET, type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3-local.js';
import { claimDraft } from '../support/claim-draft.js';
import { createTestTable, type TestTable } from '../support/dynamodb.js';
import { samplePdf } from '../support/sample-files.js';

interface Upload {
  url: string;
  fields: Record<string, string>;
}

/** What a browser does with a presigned POST: every field, then the file, as multipart. */
function postForm(upload: Upload, bytes: Uint8Array): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), 'upload.bin');
  return fetch(upload.url, { method: 'POST', body: form });
}

describe('the local S3', () => {
  const folders: string[] = [];
  const running: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const item of running.splice(0).reverse()) await item.stop();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  const dataFolder = () => {
    const folder = mkdtempSync(join(tmpdir(), 'cpor-local-s3-'));
    folders.push(folder);
    return folder;
  };
  const s3At = async (dataDir?: string): Promise<LocalS3> => {
    const s3 = await startLocalS3({ bucketName: 'local-s3-test', ...(dataDir && { dataDir }) });
    running.push(s3);
    return s3;
  };

  it('survives POSTs of one form racing the delete of the same key (the verifier removing an upload)', async () => {
    const s3 = await s3At();
    const client = createS3Client({ s3Endpoint: s3.endpoint });
    const statuses: number[] = [];
    // Each round is the interleaving of two POSTs of one form with the verifier deleting the
    // first upload; unguarded, s3rver's file store crashed the process on the first rounds.
    for (let round = 0; round < 10; round++) {
      const key = `${UPLOAD_PREFIX}claims/c-${round}/documents/d-1`;
      const form = await createPresignedPost(client, { Bucket: s3.bucketName, Key: key, Expires: 600 });
      await client.send(new PutObjectCommand({ Bucket: s3.bucketName, Key: key, Body: 'first upload' }));
      const remove = () => client.send(new DeleteObjectCommand({ Bucket: s3.bucketName, Key: key }));
      const [, first, , second] = await Promise.all([
        remove(),
        postForm(form, samplePdf()),
        remove(),
        postForm(form, samplePdf()),
      ]);
      statuses.push(first.status, second.status);
    }
    client.destroy();

    expect(new Set(statuses)).toEqual(new Set([204]));
  });

  it('keeps its port across a restart with the same data folder', async () => {
    const dataDir = dataFolder();
    const first = await s3At(dataDir);
    await first.stop();

    const second = await s3At(dataDir);

    expect(second.endpoint).toBe(first.endpoint);
  });

  it('takes another port when the remembered one is busy, and remembers that one', async () => {
    const dataDir = dataFolder();
    const first = await s3At(dataDir);
    await first.stop();
    const squatter = createServer();
    squatter.listen(Number(new URL(first.endpoint).port), '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const second = await s3At(dataDir);

      expect(second.endpoint).not.toBe(first.endpoint);
      expect(readFileSync(join(dataDir, 's3-port'), 'utf8').trim()).toBe(new URL(second.endpoint).port);
    } finally {
      squatter.close();
    }
  });
});

describe('uploads across a restart of the local stack', () => {
  let table: TestTable | undefined;
  let cloud: LocalCloud | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'cpor-upload-restart-'));
  afterEach(async () => {
    await cloud?.stop();
    await table?.destroy();
    cloud = undefined;
    table = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${cloud?.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('verifies an upload S3 accepted while nothing was verifying, and the URL from before the restart works', async () => {
    const testTable = await createTestTable('uploads');
    table = testTable;
    const start = () =>
      startLocalCloud({
        dataDir,
        dynamoDbEndpoint: testTable.endpoint,
        tableName: testTable.tableName,
        lifecycle: false,
      });
    cloud = await start();
    const token = (
      await call('POST', '/_local/token', undefined, {
        sub: 'alice',
        partnerId: 'p-1',
        roles: ['Partner.GlobalAdmin'],
      })
    ).json.token as string;
    const claimId = (await call('POST', '/v1/claims', token, claimDraft())).json.id as string;
    const bytes = samplePdf();
    const declared = (
      await call('POST', `/v1/claims/${claimId}/documents`, token, {
        fileName: 'proof.pdf',
        contentType: 'application/pdf',
        size: bytes.length,
      })
    ).json as { document: { id: string }; upload: Upload };
    await cloud.stop();

    // The service is down; S3 alone is up and accepts the upload (as before a crash of the
    // process that would have verified it): the presigned URL from before still works.
    const s3 = await startLocalS3({ bucketName: LOCAL_DOCUMENTS_BUCKET, dataDir });
    const accepted = await postForm(declared.upload, bytes);
    await s3.stop();
    expect(accepted.status).toBe(204);

    cloud = await start();
    await cloud.s3.settled();

    const documents = (await call('GET', `/v1/claims/${claimId}/documents`, token)).json.items as {
      id: string;
      status: string;
    }[];
    expect(documents).toEqual([expect.objectContaining({ id: declared.document.id, status: 'available' })]);
    const client = createS3Client({ s3Endpoint: cloud.s3.endpoint });
    const left = await client.send(
      new ListObjectsV2Command({ Bucket: cloud.s3.bucketName, Prefix: UPLOAD_PREFIX }),
    );
    client.destroy();
    expect(left.Contents ?? []).toEqual([]);
  });

  it('makes a document available once when two POSTs of its form arrive at the same time', async () => {
    const testTable = await createTestTable('uploads');
    table = testTable;
    cloud = await startLocalCloud({
      dynamoDbEndpoint: testTable.endpoint,
      tableName: testTable.tableName,
      lifecycle: false,
    });
    const token = (
      await call('POST', '/_local/token', undefined, {
        sub: 'alice',
        partnerId: 'p-1',
        roles: ['Partner.GlobalAdmin'],
      })
    ).json.token as string;
    const claimId = (await call('POST', '/v1/claims', token, claimDraft())).json.id as string;
    const bytes = samplePdf();
    const { upload } = (
      await call('POST', `/v1/claims/${claimId}/documents`, token, {
        fileName: 'proof.pdf',
        contentType: 'application/pdf',
        size: bytes.length,
      })
    ).json as { upload: Upload };

    const responses = await Promise.all([postForm(upload, bytes), postForm(upload, bytes)]);
    await cloud.s3.settled();

    expect(responses.map((r) => r.status)).toEqual([204, 204]);
    const documents = (await call('GET', `/v1/claims/${claimId}/documents`, token)).json.items as {
      status: string;
    }[];
    expect(documents.map((d) => d.status)).toEqual(['available']);
    const history = (await call('GET', `/v1/claims/${claimId}/history`, token)).json.items as {
      type: string;
    }[];
    expect(history.filter((h) => h.type === 'documentAvailable')).toHaveLength(1);
  });
});
