/**
 * The PoE document routes: thin, like the claim routes. The storage key and the verifier's
 * bookkeeping stay inside; callers see the document resource.
 */
import type { ClaimDocument } from '../domain/document.js';
import {
  listClaimDocuments,
  requestDocumentDownload,
  requestDocumentUpload,
} from '../use-cases/documents.js';
import type { ApiRoute } from './api-route.js';
import { actorOf } from './auth.js';
import {
  createDocumentSchema,
  documentDownloadSchema,
  documentListSchema,
  documentUploadSchema,
} from './document.schema.js';
import { notFound } from './problem.js';
import { parseBody, pathParameter } from './request.js';
import { json } from './responses.js';

/** Document ids are UUIDs; anything else cannot exist and is not worth a database read. */
const DOCUMENT_ID = /^[0-9A-Za-z-]{1,64}$/;

/** The document as callers see it: no storage key. */
export function documentResource(document: ClaimDocument) {
  const { objectKey: _objectKey, ...resource } = document;
  return resource;
}

export const DOCUMENT_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/claims/{id}/documents',
    operationId: 'createDocument',
    auth: 'jwt',
    function: 'api',
    summary: 'Declare a PoE document: a presigned S3 POST for its upload, verified after upload',
    body: createDocumentSchema,
    bodyExample: { fileName: 'poe.pdf', contentType: 'application/pdf', size: 48213 },
    response: { status: 201, schema: documentUploadSchema },
    idempotent: true,
    problems: {
      409: 'Not allowed in the claim’s current status, or the claim holds the maximum number of documents',
      413: 'The declared size exceeds the maximum; `errors` names `size`',
    },
    handle: async (event, deps) => {
      const actor = actorOf(event);
      const claimId = pathParameter(event, 'id');
      const declaration = parseBody(event, createDocumentSchema);
      const { document, upload } = await requestDocumentUpload(deps, actor, claimId, declaration);
      return json(201, { document: documentResource(document), upload });
    },
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/documents',
    operationId: 'listDocuments',
    auth: 'jwt',
    function: 'api',
    summary: 'The claim’s PoE documents, oldest first, with their verification status',
    response: { status: 200, schema: documentListSchema },
    handle: async (event, deps) => {
      const actor = actorOf(event);
      const documents = await listClaimDocuments(deps, actor, pathParameter(event, 'id'));
      return json(200, { items: documents.map(documentResource) });
    },
  },
  {
    method: 'GET',
    path: '/v1/claims/{id}/documents/{docId}/download',
    operationId: 'downloadDocument',
    auth: 'jwt',
    function: 'api',
    summary: 'A short-lived download link (presigned GET, attachment) for an available document',
    response: { status: 200, schema: documentDownloadSchema },
    problems: { 409: 'The document is not available (not uploaded and verified yet, or rejected)' },
    handle: async (event, deps) => {
      const actor = actorOf(event);
      const claimId = pathParameter(event, 'id');
      const documentId = pathParameter(event, 'docId');
      if (!DOCUMENT_ID.test(documentId)) throw notFound(`Document ${documentId} was not found.`);
      return json(200, await requestDocumentDownload(deps, actor, claimId, documentId));
    },
  },
];
