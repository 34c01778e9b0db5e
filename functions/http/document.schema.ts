/**
 * Request and response schemas of the PoE document routes. Strict: unknown fields are
 * rejected. Which types and sizes are allowed is the deployment's document policy, checked
 * by the domain (400 / 413), so the schema only fixes the shape.
 */
import { z } from 'zod';
import { DOCUMENT_REJECTION_REASONS, DOCUMENT_STATUSES } from '../domain/document.js';
import { text } from './claim.schema.js';

/** Characters that mean something to file systems or shells; a PoE file name needs none of them. */
const RESERVED_FILE_NAME_CHARACTER = /[/\\:*?"<>|]/;

export const createDocumentSchema = z.strictObject({
  fileName: text(255)
    .transform((name) => name.normalize('NFC'))
    .refine((name) => !RESERVED_FILE_NAME_CHARACTER.test(name), 'must not contain / \\ : * ? " < > |')
    .refine((name) => !name.startsWith('.'), 'must not start with a dot')
    .describe('Shown to reviewers and used as the download’s name; its extension must fit contentType'),
  contentType: z
    .string()
    .trim()
    .toLowerCase()
    .max(255, 'must be at most 255 characters')
    .describe(
      'application/pdf, image/png, image/jpeg, DOCX, XLSX, application/vnd.ms-outlook (MSG) or message/rfc822 (EML), as the deployment allows',
    ),
  size: z
    .number('must be a number')
    .int('must be a whole number of bytes')
    .min(1, 'must be at least 1 byte')
    .max(Number.MAX_SAFE_INTEGER)
    .describe('Exact size in bytes; the upload must match it'),
});

const isoInstant = z.iso.datetime();

export const documentResourceSchema = z
  .object({
    id: z.string(),
    claimId: z.string(),
    fileName: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    status: z.enum(DOCUMENT_STATUSES),
    createdAt: isoInstant,
    createdBy: z.string().describe('The uploading user (`sub`)'),
    uploadExpiresAt: isoInstant.describe('Until when the presigned upload can be used'),
    verifiedAt: isoInstant.optional(),
    rejection: z
      .object({ reason: z.enum(DOCUMENT_REJECTION_REASONS), detail: z.string(), at: isoInstant })
      .optional(),
  })
  .meta({ id: 'Document' });

export const documentUploadSchema = z
  .object({
    document: documentResourceSchema,
    upload: z
      .object({
        url: z.string(),
        fields: z.record(z.string(), z.string()),
        expiresAt: isoInstant,
      })
      .describe(
        'POST a multipart/form-data body to `url` with every entry of `fields` and then the file as `file`',
      ),
  })
  .meta({ id: 'DocumentUpload' });

export const documentListSchema = z.object({ items: z.array(documentResourceSchema) });

export const documentDownloadSchema = z.object({ url: z.string(), expiresAt: isoInstant });
