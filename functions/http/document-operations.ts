/**
 * The PoE document operations of the route table: thin, like the claim operations. The
 * storage key and the verifier's bookkeeping stay inside; callers see the document resource.
 */
import type { ClaimDocument } from '../domain/document.js';
import {
  type DocumentsDeps,
  listClaimDocuments,
  requestDocumentDownload,
  requestDocumentUpload,
} from '../use-cases/documents.js';
import { actorOf } from './auth.js';
import type { Operation } from './claim-operations.js';
import { createDocumentSchema } from './document.schema.js';
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

export function documentOperations(deps: DocumentsDeps) {
  return {
    createDocument: async (event) => {
      const actor = actorOf(event);
      const claimId = pathParameter(event, 'id');
      const declaration = parseBody(event, createDocumentSchema);
      const { document, upload } = await requestDocumentUpload(deps, actor, claimId, declaration);
      return json(201, { document: documentResource(document), upload });
    },

    listDocuments: async (event) => {
      const actor = actorOf(event);
      const documents = await listClaimDocuments(deps, actor, pathParameter(event, 'id'));
      return json(200, { items: documents.map(documentResource) });
    },

    downloadDocument: async (event) => {
      const actor = actorOf(event);
      const claimId = pathParameter(event, 'id');
      const documentId = pathParameter(event, 'docId');
      if (!DOCUMENT_ID.test(documentId)) throw notFound(`Document ${documentId} was not found.`);
      return json(200, await requestDocumentDownload(deps, actor, claimId, documentId));
    },
  } satisfies Record<string, Operation>;
}
