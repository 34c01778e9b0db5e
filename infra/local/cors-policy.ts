/** CORS as the cloud stage's API Gateway answers it, for the local HTTP adapter. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteDefinition } from '../../functions/http/routes.js';
import {
  CORS_ALLOW_HEADERS,
  CORS_DEFAULT_MAX_AGE_SECONDS,
  CORS_EXPOSE_HEADERS,
  corsAllowMethods,
} from '../cors.js';

export interface CorsPolicy {
  /**
   * Adds the CORS headers of an allowed origin to the response (every response, the
   * adapter's own refusals too) and answers a preflight by itself.
   */
  answer(req: IncomingMessage, res: ServerResponse): 'preflight' | 'request';
}

/**
 * CORS as API Gateway HTTP APIs do it: headers only for a request with an allowed `Origin`;
 * a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered 204
 * by the gateway whatever the routes, its CORS headers only for an allowed origin.
 */
export function corsPolicy(
  origins: readonly string[],
  methods: readonly RouteDefinition['method'][],
): CorsPolicy | undefined {
  if (origins.length === 0) return undefined;
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  const allowMethods = corsAllowMethods(methods).join(',');
  return {
    answer(req, res) {
      const origin = req.headers.origin;
      const preflight =
        req.method === 'OPTIONS' &&
        origin !== undefined &&
        req.headers['access-control-request-method'] !== undefined;
      if (origin !== undefined && (anyOrigin || allowed.has(origin))) {
        res.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
        if (!anyOrigin) res.setHeader('vary', 'origin');
        if (preflight) {
          res.setHeader('access-control-allow-methods', allowMethods);
          res.setHeader('access-control-allow-headers', CORS_ALLOW_HEADERS.join(','));
          res.setHeader('access-control-max-age', String(CORS_DEFAULT_MAX_AGE_SECONDS));
        } else {
          res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS.join(','));
        }
      }
      if (!preflight) return 'request';
      req.resume();
      res.writeHead(204);
      res.end();
      return 'preflight';
    },
  };
}
