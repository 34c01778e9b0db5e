/**
 * Lambda entry point of the upload verifier: S3 event notifications of the PoE bucket's
 * upload prefix (`ObjectCreated:*`, plus `ObjectTagging:Put` with malware scanning).
 */
import { documentPolicyOf, readConfig, verifyUploadEnvironment } from './config.js';
import { buildVerifyUploadHandler } from './events/verify-upload-handler.js';
import { lambdaObservability } from './observability.js';
import { createVerifyUploadDeps } from './wiring.js';

const config = readConfig(verifyUploadEnvironment);

export const handler = buildVerifyUploadHandler(
  createVerifyUploadDeps({
    tableName: config.TABLE_NAME,
    documentsBucketName: config.DOCUMENTS_BUCKET_NAME,
    documentPolicy: documentPolicyOf(config),
    malwareScanning: config.MALWARE_SCANNING,
    ...lambdaObservability(),
  }),
);
