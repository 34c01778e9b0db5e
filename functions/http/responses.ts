/** Successful responses of the API, with the headers every response carries. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Headers of every API answer, success or problem: never cached (claims are per caller), and
 * never content-sniffed (a browser must not run JSON holding partner text as HTML).
 */
export const API_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...API_RESPONSE_HEADERS, ...headers },
    body: JSON.stringify(body),
  };
}

/** Strong ETag from a claim version: `"7"`. */
export const etagOf = (version: number) => `"${version}"`;
