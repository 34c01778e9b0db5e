/**
 * PoE documents over HTTP against the local cloud: DynamoDB Local and s3rver, with s3rver's
 * upload events forwarded to the real upload verifier. No mocks.
 *
 * s3rver enforces no POST policy (it ignores `content-length-range`, `Content-Type` and the
 * signature, and only checks URL expiry). That is exactly why the service verifies every
 * upload after the fact: these tests upload oversized and disguised files that real S3 would
 * refuse at the door and prove the service itself never makes them available; and they
 * decode the POST policy separately to prove the conditions that real S3 enforces.
 */
import { HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadKeyOf } from '../../functions/storage-layout/document-object-keys.js';
import { createS3Client } from '../../functions/wiring.js';
import { claimDraft } from '../support/claim-draft.js';
import { sampleHtml, samplePdf } from '../support/sample-files.js';
import { startTestApi, type TestApi, type TestResponse } from '../support/test-api.js';

const PDF = 'application/pdf';

const draft = claimDraft();

interface DocumentView {
  id: string;
  claimId: string;
  fileName: string;
  contentType: string;
  size: number;
  status: 'pendingUpload' | 'available' | 'rejected';
  uploadExpiresAt: string;
  verifiedAt?: string;
  rejection?: { reason: string; detail: string; at: string };
}
interface Upload {
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
}
interface Created {
  document: DocumentView;
  upload: Upload;
}

describe('PoE documents API (DynamoDB Local + s3rver)', () => {
  let api: TestApi;
  let alice: string;
  let bob: string;
  let rita: string;

  beforeAll(async () => {
    api = await startTestApi();
    [alice, bob, rita] = await Promise.all([
      api.token({ sub: 'alice', partnerId: 'partner-a', roles: ['Partner.GlobalAdmin'] }),
      api.token({ sub: 'bob', partnerId: 'partner-b', roles: ['Partner.BillingAdmin'] }),
      api.token({ sub: 'rita', roles: ['Reviewer'] }),
    ]);
  });
  afterAll(async () => api?.stop());

  const s3 = () => createS3Client({ s3Endpoint: api.cloud.s3.endpoint });

  async function newClaim(token = alice): Promise<string> {
    const created = await api.request('POST', '/v1/claims', { token, body: draft });
    expect(created.status).toBe(201);
    return (created.json as { id: string }).id;
  }

  function declare(claimId: string, body: unknown, token = alice): Promise<TestResponse> {
    return api.request('POST', `/v1/claims/${claimId}/documents`, { token, body });
  }

  async function declared(claimId: string, fileName: string, contentType: string, size: number) {
    const response = await declare(claimId, { fileName, contentType, size });
    expect(response.status, response.text).toBe(201);
    return response.json as Created;
  }

  /** What a browser does with the presigned POST: every field, then the file, as multipart. */
  async function postFile(upload: Upload, bytes: Uint8Array, fileName = 'upload.bin'): Promise<Response> {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(bytes)]), fileName);
    return fetch(upload.url, { method: 'POST', body: form });
  }

  /** Uploads and waits until the verifier handled the upload's event. */
  async function uploadAndVerify(upload: Upload, bytes: Uint8Array): Promise<void> {
    const response = await postFile(upload, bytes);
    expect(response.status, await response.text()).toBe(204);
    await api.cloud.s3.settled();
  }

  async function documentsOf(claimId: string, token = alice): Promise<DocumentView[]> {
    const response = await api.request('GET', `/v1/claims/${claimId}/documents`, { token });
    expect(response.status).toBe(200);
    return (response.json as { items: DocumentView[] }).items;
  }

  async function availableDocument(claimId: string, bytes = samplePdf()): Promise<DocumentView> {
    const { document, upload } = await declared(claimId, 'proof.pdf', PDF, bytes.length);
    await uploadAndVerify(upload, bytes);
    const verified = (await documentsOf(claimId)).find((d) => d.id === document.id);
    expect(verified?.status).toBe('available');
    return verified as DocumentView;
  }

  async function objectExists(key: string): Promise<boolean> {
    try {
      await s3().send(new HeadObjectCommand({ Bucket: api.cloud.s3.bucketName, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return false;
      throw error;
    }
  }

  async function act(claimId: string, action: string, token: string, body: unknown = {}) {
    const response = await api.request('POST', `/v1/claims/${claimId}/${action}`, { token, body });
    expect(response.status, `${action}: ${response.text}`).toBe(200);
  }

  it('makes a valid PDF uploaded through the presigned POST available, and downloads it byte-identical', async () => {
    const claimId = await newClaim();
    const bytes = samplePdf(40_000);
    const fileName = "Übersicht; Q1 (it's final).pdf";
    const { document, upload } = await declared(claimId, fileName, PDF, bytes.length);
    expect(document).toMatchObject({
      claimId,
      fileName,
      contentType: PDF,
      size: bytes.length,
      status: 'pendingUpload',
    });
    expect(document).not.toHaveProperty('objectKey');
    expect(new URL(upload.url).origin).toBe(api.cloud.s3.endpoint);

    const started = performance.now();
    await uploadAndVerify(upload, bytes);
    const verificationMs = performance.now() - started;

    const [listed] = await documentsOf(claimId);
    expect(listed).toMatchObject({
      id: document.id,
      status: 'available',
      verifiedAt: api.clock.now().toISOString(),
    });
    // Nothing stays under the upload prefix once the document is verified.
    expect(await objectExists(uploadKeyOf(`claims/${claimId}/documents/${document.id}`))).toBe(false);

    for (const token of [alice, rita]) {
      const link = await api.request('GET', `/v1/claims/${claimId}/documents/${document.id}/download`, {
        token,
      });
      expect(link.status).toBe(200);
      const { url, expiresAt } = link.json as { url: string; expiresAt: string };
      const secondsLeft = (Date.parse(expiresAt) - api.clock.now().getTime()) / 1000;
      expect(secondsLeft).toBeGreaterThan(4 * 60);
      expect(secondsLeft).toBeLessThanOrEqual(5 * 60);
      const downloaded = await fetch(url);
      expect(downloaded.status).toBe(200);
      expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);
      expect(downloaded.headers.get('content-type')).toBe(PDF);
      expect(downloaded.headers.get('content-disposition')).toBe(
        `attachment; filename="Ubersicht; Q1 (it's final).pdf"; filename*=UTF-8''%C3%9Cbersicht%3B%20Q1%20%28it%27s%20final%29.pdf`,
      );
    }
    // Locally: presigned POST → s3rver → event → verifier → DynamoDB, all in this process.
    expect(verificationMs).toBeLessThan(5_000);
  });

  it('signs a POST policy that pins the exact size, the type, the key and a 15-minute expiry', async () => {
    const claimId = await newClaim();
    const { document, upload } = await declared(claimId, 'Statement of work – passwd.pdf', PDF, 12_345);
    const policy = JSON.parse(Buffer.from(upload.fields.Policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    const key = `uploads/claims/${claimId}/documents/${document.id}`;
    expect(upload.fields).toMatchObject({ key, 'Content-Type': PDF });
    expect(policy.conditions).toContainEqual(['content-length-range', 12_345, 12_345]);
    expect(policy.conditions).toContainEqual({ 'Content-Type': PDF });
    expect(policy.conditions).toContainEqual({ key });
    expect(policy.conditions).toContainEqual({ bucket: api.cloud.s3.bucketName });
    // No `starts-with` condition: the client can choose nothing about the key.
    expect(JSON.stringify(policy.conditions)).not.toContain('starts-with');
    // The file name never reaches the key.
    expect(key).not.toContain('passwd');
    // From the service clock: 15 minutes (the policy has whole seconds).
    const nowSeconds = Math.floor(api.clock.now().getTime() / 1000) * 1000;
    expect(policy.expiration).toBe(new Date(nowSeconds + 15 * 60_000).toISOString().replace('.000Z', 'Z'));
    expect(upload.expiresAt).toBe(new Date(nowSeconds + 15 * 60_000).toISOString());
    expect(document.uploadExpiresAt).toBe(upload.expiresAt);
  });

  it('never makes a file larger than declared available: rejected, and the object is gone', async () => {
    const claimId = await newClaim();
    const declaredSize = 2_000;
    const { document, upload } = await declared(claimId, 'proof.pdf', PDF, declaredSize);
    // Real S3 would refuse this POST (content-length-range); s3rver stores it, the verifier must not pass it.
    await uploadAndVerify(upload, samplePdf(declaredSize * 2));

    const [listed] = await documentsOf(claimId);
    expect(listed).toMatchObject({
      id: document.id,
      status: 'rejected',
      rejection: {
        reason: 'sizeMismatch',
        detail: expect.stringContaining(`not the ${declaredSize} declared`),
      },
    });
    const objectKey = `claims/${claimId}/documents/${document.id}`;
    expect(await objectExists(uploadKeyOf(objectKey))).toBe(false);
    expect(await objectExists(objectKey)).toBe(false);
    const download = await api.request('GET', `/v1/claims/${claimId}/documents/${document.id}/download`, {
      token: rita,
    });
    expect(download.status).toBe(409);
    expect(download.json).toMatchObject({
      type: expect.stringContaining('document-not-available'),
      documentStatus: 'rejected',
    });
  });

  it('never makes an HTML file named .pdf available: rejected as typeMismatch, and the object is gone', async () => {
    const claimId = await newClaim();
    const html = sampleHtml();
    const { document, upload } = await declared(claimId, 'invoice.pdf', PDF, html.length);
    await uploadAndVerify(upload, html);

    const [listed] = await documentsOf(claimId);
    expect(listed).toMatchObject({ status: 'rejected', rejection: { reason: 'typeMismatch' } });
    expect(await objectExists(uploadKeyOf(`claims/${claimId}/documents/${document.id}`))).toBe(false);
    expect(await objectExists(`claims/${claimId}/documents/${document.id}`)).toBe(false);
    // And a claim cannot be submitted on the strength of it.
    const submit = await api.request('POST', `/v1/claims/${claimId}/submit`, { token: alice, body: {} });
    expect(submit.status).toBe(409);
  });

  it('refuses a re-upload through the same presigned POST after verification: the verified bytes stay', async () => {
    const claimId = await newClaim();
    const bytes = samplePdf(3_000);
    const { document, upload } = await declared(claimId, 'proof.pdf', PDF, bytes.length);
    await uploadAndVerify(upload, bytes);
    // The POST policy is valid for 15 minutes and could be replayed with other content.
    await uploadAndVerify(upload, sampleHtml());

    const [listed] = await documentsOf(claimId);
    expect(listed?.status).toBe('available');
    const link = await api.request('GET', `/v1/claims/${claimId}/documents/${document.id}/download`, {
      token: rita,
    });
    const downloaded = await fetch((link.json as { url: string }).url);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);
    expect(await objectExists(uploadKeyOf(`claims/${claimId}/documents/${document.id}`))).toBe(false);
  });

  it('answers 404 to another partner on every document route, and lets reviewers read but not add', async () => {
    const claimId = await newClaim();
    const document = await availableDocument(claimId);
    const base = `/v1/claims/${claimId}/documents`;

    const asBob = [
      await api.request('GET', base, { token: bob }),
      await api.request('GET', `${base}/${document.id}/download`, { token: bob }),
      await declare(claimId, { fileName: 'x.pdf', contentType: PDF, size: 10 }, bob),
    ];
    expect(asBob.map((r) => r.status)).toEqual([404, 404, 404]);
    for (const response of asBob) {
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }

    expect((await api.request('GET', base, { token: rita })).status).toBe(200);
    const asReviewer = await declare(claimId, { fileName: 'x.pdf', contentType: PDF, size: 10 }, rita);
    expect(asReviewer.status).toBe(403);
    // An unknown document of a visible claim is a 404 too.
    const unknown = await api.request('GET', `${base}/00000000-0000-4000-8000-000000000000/download`, {
      token: alice,
    });
    expect(unknown.status).toBe(404);
  });

  it('refuses a pending document download with 409', async () => {
    const claimId = await newClaim();
    const { document } = await declared(claimId, 'later.pdf', PDF, 100);
    const response = await api.request('GET', `/v1/claims/${claimId}/documents/${document.id}/download`, {
      token: alice,
    });
    expect(response.status).toBe(409);
    expect(response.json).toMatchObject({ documentStatus: 'pendingUpload' });
  });

  it('refuses to add documents in underReview and approved (409), allows it in submitted', async () => {
    const claimId = await newClaim();
    await availableDocument(claimId);
    const body = { fileName: 'more.pdf', contentType: PDF, size: 100 };
    await act(claimId, 'submit', alice);
    expect((await declare(claimId, body)).status).toBe(201);
    await act(claimId, 'start-review', rita);
    const underReview = await declare(claimId, body);
    expect(underReview.status).toBe(409);
    expect(underReview.json).toMatchObject({ claimStatus: 'underReview' });
    await act(claimId, 'approve', rita);
    const approved = await declare(claimId, body);
    expect(approved.status).toBe(409);
    expect(approved.json).toMatchObject({ claimStatus: 'approved' });
  });

  it('enforces the limit of 50 documents per claim with 409', async () => {
    const claimId = await newClaim();
    for (let i = 0; i < 50; i++) {
      const response = await declare(claimId, { fileName: `poe-${i}.pdf`, contentType: PDF, size: 100 + i });
      expect(response.status).toBe(201);
    }
    const over = await declare(claimId, { fileName: 'poe-50.pdf', contentType: PDF, size: 150 });
    expect(over.status).toBe(409);
    expect(over.json).toMatchObject({
      type: expect.stringContaining('document-limit-reached'),
      limit: 50,
      errors: [{ field: 'documents' }],
    });
    expect(await documentsOf(claimId)).toHaveLength(50);
  });

  it('validates the declaration: unknown fields, types, names and sizes, naming the field', async () => {
    const claimId = await newClaim();
    const valid = { fileName: 'poe.pdf', contentType: PDF, size: 100 };
    const cases: [unknown, number, string][] = [
      [{ ...valid, key: 'claims/other/documents/x' }, 400, 'key'],
      [{ ...valid, contentType: 'text/html' }, 400, 'contentType'],
      [{ ...valid, fileName: 'poe.exe' }, 400, 'fileName'],
      [{ ...valid, fileName: '../poe.pdf' }, 400, 'fileName'],
      [{ ...valid, fileName: 'a\nb.pdf' }, 400, 'fileName'],
      [{ ...valid, size: 0 }, 400, 'size'],
      [{ ...valid, size: 1.5 }, 400, 'size'],
      [{ ...valid, size: 25 * 1024 * 1024 + 1 }, 413, 'size'],
    ];
    for (const [body, status, field] of cases) {
      const response = await declare(claimId, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const errors = (response.json as { errors: { field: string }[] }).errors;
      expect(errors.map((e) => e.field)).toContain(field);
    }
    expect(await documentsOf(claimId)).toEqual([]);
  });

  it('records every document event in the claim history', async () => {
    const claimId = await newClaim();
    const good = await availableDocument(claimId);
    const { document: bad, upload } = await declared(claimId, 'bad.pdf', PDF, 10);
    await uploadAndVerify(upload, sampleHtml());

    const history = await api.request('GET', `/v1/claims/${claimId}/history`, { token: rita });
    const items = (
      history.json as { items: { type: string; documentId?: string; actor: { kind: string } }[] }
    ).items;
    const documentEvents = items.filter((e) => e.type.startsWith('document'));
    expect(documentEvents.map((e) => [e.type, e.documentId, e.actor.kind])).toEqual([
      ['documentRequested', good.id, 'partner'],
      ['documentAvailable', good.id, 'system'],
      ['documentRequested', bad.id, 'partner'],
      ['documentRejected', bad.id, 'system'],
    ]);
  });

  it('lets a dispute cite only available documents of the same claim (400 naming documentIds.N)', async () => {
    const other = await newClaim();
    const foreign = await availableDocument(other);
    const claimId = await newClaim();
    await availableDocument(claimId);
    await act(claimId, 'submit', alice);
    await act(claimId, 'start-review', rita);
    await act(claimId, 'reject', rita, {
      reason: 'insufficientPoe',
      comment: 'The PoE predates the contract.',
    });

    // Within the dispute window the partner may add new PoE for the dispute.
    const added = await availableDocument(claimId, samplePdf(5_000));
    const pending = (await declared(claimId, 'pending.pdf', PDF, 10)).document;

    for (const [documentIds, field] of [
      [[added.id, foreign.id], 'documentIds.1'],
      [[pending.id], 'documentIds.0'],
      [['00000000-0000-4000-8000-000000000000'], 'documentIds.0'],
    ] as const) {
      const response = await api.request('POST', `/v1/claims/${claimId}/dispute`, {
        token: alice,
        body: { justification: 'See the signed SOW.', documentIds },
      });
      expect(response.status).toBe(400);
      expect((response.json as { errors: { field: string }[] }).errors).toEqual([
        { field, reason: 'is not an available document of this claim' },
      ]);
    }

    const disputed = await api.request('POST', `/v1/claims/${claimId}/dispute`, {
      token: alice,
      body: { justification: 'See the signed SOW.', documentIds: [added.id] },
    });
    expect(disputed.status).toBe(200);
    expect(disputed.json).toMatchObject({ status: 'disputed', dispute: { documentIds: [added.id] } });
  });
});
