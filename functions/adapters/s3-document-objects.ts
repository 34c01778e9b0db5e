/**
 * PoE bytes in S3: presigned POSTs for uploads to a staging key, presigned GETs for
 * verified documents, and what the upload verifier needs (inspect, promote, discard).
 * The key layout is `document-object-keys.ts`.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ClaimDocument } from '../domain/document.js';
import type { DocumentObjects, PresignedDownload, PresignedUpload, UploadedObject } from '../domain/ports.js';
import { attachmentDisposition } from './content-disposition.js';
import { DETECTION_SAMPLE_BYTES } from './content-type-detector.js';
import { uploadKeyOf } from './document-object-keys.js';

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
    options: { withTags: boolean },
  ): Promise<UploadedObject | undefined> {
    const key = uploadKeyOf(objectKey);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucketName, Key: key }));
      const eTag = head.ETag ?? '';
      const size = head.ContentLength ?? 0;
      const [sample, tags] = await Promise.all([
        size === 0 ? new Uint8Array() : this.readStart(key, eTag),
        options.withTags ? this.readTags(key) : {},
      ]);
      return { size, eTag, head: sample, tags };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async promoteUpload(document: ClaimDocument, eTag: string): Promise<boolean> {
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucketName,
          Key: document.objectKey,
          CopySource: `${this.bucketName}/${encodeURIComponent(uploadKeyOf(document.objectKey)).replace(/%2F/g, '/')}`,
          // Only the bytes that were verified: a replacement uploaded meanwhile fails the copy.
          CopySourceIfMatch: eTag,
          MetadataDirective: 'REPLACE',
          ContentType: document.contentType,
          // Upload tags (the malware scan result) describe the staging object, not the document.
          TaggingDirective: 'REPLACE',
        }),
      );
      return true;
    } catch (error) {
      if (isMissing(error) || isPreconditionFailed(error)) return false;
      throw error;
    }
  }

  async discardUpload(objectKey: string): Promise<void> {
    // Deleting a missing key succeeds in S3: safe under duplicate events.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: uploadKeyOf(objectKey) }));
  }

  private async readStart(key: string, eTag: string): Promise<Uint8Array> {
    const { Body } = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucketName,
        Key: key,
        Range: `bytes=0-${DETECTION_SAMPLE_BYTES - 1}`,
        IfMatch: eTag,
      }),
    );
    return Body ? Body.transformToByteArray() : new Uint8Array();
  }

  private async readTags(key: string): Promise<Record<string, string>> {
    const { TagSet } = await this.client.send(
      new GetObjectTaggingCommand({ Bucket: this.bucketName, Key: key }),
    );
    return Object.fromEntries((TagSet ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? '']] : [])));
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
  );
}

function isPreconditionFailed(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'PreconditionFailed' || error.$metadata.httpStatusCode === 412)
  );
}
