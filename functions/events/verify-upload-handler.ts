/**
 * The upload verifier as a Lambda handler of S3 event notifications: `ObjectCreated:*` on
 * the upload prefix, and `ObjectTagging:Put` when malware scanning is on (GuardDuty's result
 * tag arrives after the upload). Built around its ports so the local cloud, which forwards
 * s3rver's events in the same shape, and the tests run exactly this code.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, S3Event } from 'aws-lambda';
import { handlerStack, type Observability } from '../handler-stack.js';
import { decodeEventKey, parseUploadKey } from '../storage-layout/document-object-keys.js';
import {
  type VerificationOutcome,
  type VerifyUploadDeps,
  verifyUploadedDocument,
} from '../use-cases/verify-upload.js';

export interface VerifyUploadHandlerDeps extends VerifyUploadDeps, Observability {}

/** What one invocation did, per record (returned for tests and the local forwarder; Lambda ignores it). */
export interface VerifyUploadReport {
  results: { key: string; outcome: VerificationOutcome | 'ignored'; durationMs: number }[];
}

export type VerifyUploadHandler = (event: S3Event, context: Context) => Promise<VerifyUploadReport>;

/** Event names that can bring a new upload or its malware scan result. */
const RELEVANT_EVENT = /^(ObjectCreated|ObjectTagging):/;

export function buildVerifyUploadHandler(deps: VerifyUploadHandlerDeps): VerifyUploadHandler {
  const { logger, metrics } = deps;
  return handlerStack<S3Event, VerifyUploadReport>(deps, {
    // S3's request id of the first upload event (S3 sends one record per event).
    correlationIdOf: (event) => event.Records?.[0]?.responseElements?.['x-amz-request-id'],
  }).handler(async (event) => {
    const results: VerifyUploadReport['results'] = [];
    // Records one by one: S3 sends one per event; an error fails the invocation so Lambda
    // retries it (and, after the retries, sends it to the dead-letter queue).
    for (const record of event.Records) {
      const started = performance.now();
      const key = decodeEventKey(record.s3.object.key);
      const ref = RELEVANT_EVENT.test(record.eventName) ? parseUploadKey(key) : undefined;
      if (!ref) {
        logger.warn('Ignoring an event outside the upload layout', { key, eventName: record.eventName });
        results.push({ key, outcome: 'ignored', durationMs: 0 });
        continue;
      }
      const { outcome, verdict } = await verifyUploadedDocument(deps, ref);
      const durationMs = Math.round(performance.now() - started);
      logger.info('Upload verification', {
        ...ref,
        eventName: record.eventName,
        outcome,
        ...(verdict?.status === 'rejected' && { reason: verdict.reason, detail: verdict.detail }),
        durationMs,
      });
      metrics?.addMetric(`Upload_${outcome}`, MetricUnit.Count, 1);
      results.push({ key, outcome, durationMs });
    }
    return { results };
  });
}
