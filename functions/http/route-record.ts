/**
 * What one route is: the facts CDK and the local adapter read (`RouteDefinition`), plus what
 * the Lambda's dispatch and the OpenAPI document read (schemas, flags, the operation). Each
 * route is written once, as one record of this shape, in the route file of its capability;
 * `routes.ts` lists them.
 */
import type { z } from 'zod';
import type { ApiEvent, ApiResult } from './api-event.js';

/** `jwt`: the API Gateway JWT authorizer (locally: jose) guards the route. `none`: public. */
export type RouteAuth = 'jwt' | 'none';

/** The Lambda entry point that serves a route (one file per entry in `functions/`). */
export type RouteFunction = 'api' | 'consent';

/** A route as the gateway sees it (CDK, the local adapter, CORS). */
export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{id}` for a path parameter. */
  path: string;
  operationId: string;
  /**
   * Who may call it at the gateway: a verified token, or anyone. Which roles may do what is
   * the domain's rule (`functions/domain/actors.ts`, the lifecycle's `ACTION_RULES`).
   */
  auth: RouteAuth;
  function: RouteFunction;
  summary: string;
}

/** `POST /v1/claims/{id}` — the API Gateway route key, also set on local events. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** The response headers a success may carry, documented from the components of the same name. */
export type ResponseHeader = 'ETag' | 'Location';

/** A full route record: the gateway's facts, the contract and the operation. */
export interface RouteRecord<Deps, Event = ApiEvent> extends RouteDefinition {
  /** The request body (JSON; `application/merge-patch+json` for PATCH; a form with `form`). */
  body?: z.ZodType;
  /** An example of a valid body, published in the OpenAPI document. */
  bodyExample?: unknown;
  /** The query string's parameters. */
  query?: z.ZodObject;
  /** The success: status, schema and the headers it sets. */
  response: { status: number; schema: z.ZodType; headers?: readonly ResponseHeader[] };
  /** Honours `Idempotency-Key`: a retry with the same key gets the first response. */
  idempotent?: boolean;
  /** Reads `If-Match` against the claim's ETag. */
  ifMatch?: boolean;
  /** Further problem responses of this route: status → when. */
  problems?: Readonly<Record<number, string>>;
  /** An HTML page route (the customer's consent page): other statuses → when, as HTML pages. */
  htmlPages?: Readonly<Record<number, string>>;
  /** The body is an HTML form post. */
  form?: boolean;
  /** Serves a request: parse, call one use case, map the result. */
  handle(event: Event, deps: Deps): Promise<ApiResult>;
}
