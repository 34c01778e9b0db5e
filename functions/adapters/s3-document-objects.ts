/**
 * PoE bytes in S3: presigned POSTs for uploads to a staging key, presigned GETs for
 * verified documents, and what the upload verifier needs (inspect, promote, discard).
 * The key layout is `document-object-keys.ts`.
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ClaimDocument } from '../domain/document.js';
import type {
  DocumentObjects,
  DocumentRetention,
  PresignedDownload,
  PresignedUpload,
  UploadedObject,
} from '../domain/ports/documents.js';
import {
  claimDocumentsPrefix,
  FINAL_CLAIM_TAG,
  uploadKeyOf,
} from '../storage-layout/document-object-keys.js';
import { attachmentDisposition } from './content-disposition.js';

export interface S3DocumentObjectsOptions {
  /** Sends the verifier's requests and signs download links. */
  client: S3Client;
  /**
   * A second client, configured like `client`, that only signs POST policies and never
   * sends a request. `createPresignedPost` takes "now" from `Date.now() +
   * config.systemClockOffset` (read synchronously on entry), so this client's offset is set
   * right before each call to make the policy's date and expiration follow the service
   * clock: the wall clock in the cloud, the virtual clock locally. A separate client keeps
   * that offset away from requests that S3 checks for clock skew.
   */
  postSigner: S3Client;
  bucketName: string;
}

export class S3DocumentObjects implements DocumentObjects {
  private readonly client: S3Client;
  private readonly postSigner: S3Client;
  private readonly bucketName: string;

  constructor(options: S3DocumentObjectsOptions) {
    if (options.postSigner === options.client) {
      throw new Error('S3DocumentObjects needs a POST signer client of its own (see postSigner).');
    }
    this.client = options.client;
    this.postSigner = options.postSigner;
    this.bucketName = options.bucketName;
  }

  async presignUpload(document: ClaimDocument, now: Date, ttlSeconds: number): Promise<PresignedUpload> {
    this.postSigner.config.systemClockOffset = now.getTime() - Date.now();
    const { url, fields } = await createPresignedPost(this.postSigner, {
      Bucket: this.bucketName,
      // The key is exact (the SDK adds the `{"key": …}` condition): no `${filename}`, no prefix match.
      Key: uploadKeyOf(document.objectKey),
      Conditions: [
        // Exactly the declared size: S3 refuses anything else before storing a byte.
        ['content-length-range', document.size, document.size],
      ],
      // Every field also becomes an exact-match condition, so the stored Content-Type is the declared one.
      Fields: { 'Content-Type': document.contentType },
      Expires: ttlSeconds,
    });
    const policy = JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
    };
    // The policy's own expiration (whole seconds) is what S3 enforces, so that is what callers see.
    return { url, fields, expiresAt: new Date(policy.expiration).toISOString() };
  }

  async presignDownload(document: ClaimDocument, now: Date, ttlSeconds: number): Promise<PresignedDownload> {
    const url = await getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucketName,
        Key: document.objectKey,
        ResponseContentDisposition: attachmentDisposition(document.fileName),
        // The verified type, whatever metadata the object carries.
        ResponseContentType: document.contentType,
        ResponseCacheControl: 'private, no-store',
      }),
      { expiresIn: ttlSeconds, signingDate: now },
    );
    // SigV4 dates have whole seconds; the link expires `ttlSeconds` after that.
    const signedAt = Math.floor(now.getTime() / 1000) * 1000;
    return { url, expiresAt: new Date(signedAt + ttlSeconds * 1000).toISOString() };
  }

  async inspectUpload(
    objectKey: string,
    options: { withTags: boolean; maxBytes: number },
  ): Promise<UploadedObject | undefined> {
    const key = uploadKeyOf(objectKey);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucketName, Key: key }));
      const declaredSize = head.ContentLength ?? 0;
      // Too large to accept: the size alone decides, and nothing is read.
      if (declaredSize > options.maxBytes) return { size: declaredSize, bytes: undefined, tags: {} };
      if (declaredSize === 0) return { size: 0, bytes: new Uint8Array(), tags: {} };
      // One GET returns one version's bytes, whatever is uploaded meanwhile: these are the bytes
      // that get checked and promoted (see `promoteUpload`). The range keeps a larger
      // replacement (possible where the POST policy is not enforced, as in s3rver) from being
      // read whole: one byte past the limit proves it too large.
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucketName, Key: key, Range: `bytes=0-${options.maxBytes}` }),
      );
      const bytes = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
      const size = totalSizeOf(object.ContentRange) ?? bytes.length;
      if (size !== bytes.length) return { size, bytes: undefined, tags: {} };
      const tags = options.withTags ? await this.readTags(key, object.VersionId) : {};
      return { size, bytes, tags };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async promoteUpload(document: ClaimDocument, bytes: Uint8Array): Promise<void> {
    // A PUT of the bytes that were checked, not a copy of the upload key: a copy takes whatever
    // the key holds at that moment, and a replay of the presigned POST may have replaced it
    // since (S3 would refuse that copy with `CopySourceIfMatch`; s3rver ignores it). The
    // checksum makes S3 refuse the PUT if a byte changed on the way.
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucketName,
        Key: document.objectKey,
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: document.contentType,
        ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
      }),
    );
  }

  async discardUpload(objectKey: string): Promise<void> {
    // Deleting a missing key succeeds in S3: safe under duplicate events.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: uploadKeyOf(objectKey) }));
  }

  /**
   * The tags of the version that was read. S3 tags each version apart and GuardDuty tags the
   * version it scanned, but reading a given version's tags needs `s3:GetObjectVersionTagging`:
   * instead the current tags are read and kept only if they still belong to `versionId`
   * (S3 names the version in the answer). Tags of a replacement say nothing about the bytes
   * read, so they count as no scan result yet; the replacement's own events follow.
   */
  private async readTags(key: string, versionId: string | undefined): Promise<Record<string, string>> {
    const { TagSet, VersionId } = await this.client.send(
      new GetObjectTaggingCommand({ Bucket: this.bucketName, Key: key }),
    );
    if (VersionId !== versionId) return {};
    return Object.fromEntries((TagSet ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? '']] : [])));
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
  );
}

/** The complete length from a `Content-Range: bytes 0-99/1234` answer, if there is one. */
function totalSizeOf(contentRange: string | undefined): number | undefined {
  const total = contentRange?.split('/')[1];
  return total === undefined || total === '*' ? undefined : Number(total);
}

/**
 * Tags a final claim's verified documents (`FINAL_CLAIM_TAG`), so the bucket's `final-claims`
 * lifecycle rule archives and later deletes them. Lists the claim's prefix (a claim holds at
 * most a few dozen documents: one page) and tags each current version; tagging twice is the same.
 */
export class S3DocumentRetention implements DocumentRetention {
  constructor(
    private readonly client: S3Client,
    private readonly bucketName: string,
  ) {}

  async markFinal(claimId: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucketName,
          Prefix: claimDocumentsPrefix(claimId),
          ContinuationToken: token,
        }),
      );
      for (const { Key } of page.Contents ?? []) {
        await this.client.send(
          new PutObjectTaggingCommand({
            Bucket: this.bucketName,
            Key,
            Tagging: { TagSet: [{ Key: FINAL_CLAIM_TAG.key, Value: FINAL_CLAIM_TAG.value }] },
          }),
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
