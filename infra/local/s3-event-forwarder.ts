/**
 * The local stand-in for S3 event notifications → Lambda: s3rver's object events, filtered as
 * the cloud's notification is (object created under the upload prefix), re-shaped as the
 * `S3Event` Lambda receives (keys form-encoded) and handed to the real verifier handler.
 * Like Lambda's asynchronous invocation, a failed event is retried (twice); s3rver emits before
 * it answers the upload, so once an upload's response arrived, `settled()` covers its check.
 *
 * An event lives only in this process: an upload s3rver accepted just before the process died
 * would never be checked. So on start the forwarder also lists what is under the upload prefix
 * and hands each object to the verifier as if it had just arrived; verification is idempotent
 * (a document already resolved only has its leftover upload cleaned up).
 */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { S3rverEvent } from 's3rver';
import type { VerifyUploadHandler } from '../../functions/events/verify-upload-handler.js';
import { UPLOAD_PREFIX } from '../../functions/storage-layout/document-object-keys.js';
import { createS3Client } from '../../functions/wiring.js';
import { lambdaContext } from './lambda-context.js';
import type { LocalS3 } from './s3-local.js';

/** Lambda's asynchronous invocations are tried up to three times in all. */
const ATTEMPTS = 3;

export interface S3EventForwarder {
  /** Resolves once every forwarded event (including ones emitted meanwhile) was handled. */
  settled(): Promise<void>;
  /** Stops forwarding; events already forwarded still finish. */
  stop(): Promise<void>;
}

export function forwardS3Events(
  s3: LocalS3,
  handler: VerifyUploadHandler,
  onError: (error: unknown, event: S3Event) => void,
): S3EventForwarder {
  const inFlight = new Set<Promise<void>>();
  const track = (delivery: Promise<void>) => {
    inFlight.add(delivery);
    void delivery.finally(() => inFlight.delete(delivery));
  };
  const deliver = async (event: S3Event) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event, lambdaContext('cpor-local-verify-upload', Date.now() + 60_000));
        return;
      } catch (error) {
        if (attempt >= ATTEMPTS) {
          onError(error, event);
          return;
        }
      }
    }
  };
  const unsubscribe = s3.onEvent((emitted) => {
    const records = emitted.Records.filter(
      (r) =>
        r.s3.bucket.name === s3.bucketName &&
        r.eventName.startsWith('ObjectCreated:') &&
        r.s3.object.key.startsWith(UPLOAD_PREFIX),
    ).map(toLambdaRecord);
    if (records.length === 0) return;
    track(deliver({ Records: records }));
  });
  track(rescanUploads(s3, deliver).catch((error: unknown) => onError(error, { Records: [] })));
  return {
    async settled() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    async stop() {
      unsubscribe();
      await this.settled();
    },
  };
}

/** Every object under the upload prefix, one event each, as S3 would have sent it on upload. */
async function rescanUploads(s3: LocalS3, deliver: (event: S3Event) => Promise<void>): Promise<void> {
  const client = createS3Client({ s3Endpoint: s3.endpoint });
  try {
    const pages = paginateListObjectsV2({ client }, { Bucket: s3.bucketName, Prefix: UPLOAD_PREFIX });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        await deliver({
          Records: [
            toLambdaRecord({
              eventVersion: '2.1',
              eventSource: 'aws:s3',
              awsRegion: 'us-east-1',
              eventTime: (object.LastModified ?? new Date()).toISOString(),
              eventName: 'ObjectCreated:Post',
              userIdentity: { principalId: 'local-rescan' },
              requestParameters: { sourceIPAddress: '127.0.0.1' },
              responseElements: {},
              s3: {
                s3SchemaVersion: '1.0',
                configurationId: 'verify-upload',
                bucket: {
                  name: s3.bucketName,
                  ownerIdentity: { principalId: 'local' },
                  arn: `arn:aws:s3:::${s3.bucketName}`,
                },
                object: {
                  key: object.Key,
                  sequencer: '0',
                  ...(object.Size !== undefined && { size: object.Size }),
                  ...(object.ETag && { eTag: object.ETag.replaceAll('"', '') }),
                },
              },
            }),
          ],
        });
      }
    }
  } finally {
    client.destroy();
  }
}

type EmittedRecord = S3rverEvent['Records'][number];

function toLambdaRecord(record: EmittedRecord): S3EventRecord {
  const { object, bucket } = record.s3;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: record.awsRegion,
    eventTime: record.eventTime,
    eventName: record.eventName,
    userIdentity: record.userIdentity,
    requestParameters: record.requestParameters,
    responseElements: {
      'x-amz-request-id': record.responseElements['x-amz-request-id'] ?? '',
      'x-amz-id-2': record.responseElements['x-amz-id-2'] ?? '',
    },
    s3: {
      s3SchemaVersion: record.s3.s3SchemaVersion,
      configurationId: 'verify-upload',
      bucket: { name: bucket.name, ownerIdentity: bucket.ownerIdentity, arn: `arn:aws:s3:::${bucket.name}` },
      object: {
        // S3 sends keys form-encoded (the verifier decodes them); s3rver sends them raw.
        key: object.key
          .split('/')
          .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
          .join('/'),
        size: object.size ?? 0,
        eTag: object.eTag ?? '',
        sequencer: object.sequencer,
      },
    },
  };
}
