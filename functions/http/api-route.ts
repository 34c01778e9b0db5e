/**
 * The routes of the API Lambda: records whose operations get the API's ports. Kept apart from
 * `api-handler.ts`, so route files never import the handler that dispatches to them.
 */
import type { ClaimsDeps } from '../use-cases/claims.js';
import type { DocumentsDeps } from '../use-cases/documents.js';
import type { CursorCodec } from './cursor.js';
import type { RouteRecord } from './route-record.js';

/** What every API operation may use: the ports, the cursor codec and the published contract. */
export interface ApiRouteDeps extends ClaimsDeps, DocumentsDeps {
  cursors: CursorCodec;
  /** The OpenAPI document, generated on first use (not on the path of other requests). */
  openApiDocument(): Promise<unknown>;
}

/** A route served by the API Lambda. */
export type ApiRoute = RouteRecord<ApiRouteDeps>;
