/**
 * Lambda entry point of the upload verifier: S3 event notifications of the PoE bucket's
 * upload prefix (`ObjectCreated:*`, plus `ObjectTagging:Put` with malware scanning).
 */
import { verifyUploadSettings } from './config.js';
import { buildVerifyUploadHandler } from './events/verify-upload-handler.js';
import { lambdaHandler } from './lambda-entry.js';
import { createVerifyUploadDeps } from './wiring.js';

export const handler = await lambdaHandler(
  verifyUploadSettings,
  createVerifyUploadDeps,
  buildVerifyUploadHandler,
);
