/**
 * Route matching as API Gateway HTTP APIs do it: a raw (still percent-encoded) path against
 * `{param}` templates, the route with more literal segments winning, and the methods of the
 * paths that matched for a 405's `Allow`.
 */

/** What a route template needs for matching: its method and API Gateway path. */
export interface RouteTemplate {
  method: string;
  /** API Gateway path syntax: `{id}` for a path parameter. */
  path: string;
}

export interface CompiledRoute<T> {
  target: T;
  method: string;
  segments: string[];
  /** More literal segments win, as in API Gateway (`/claims/search` over `/claims/{id}`). */
  literals: number;
}

export type RouteMatch<T> =
  | { kind: 'found'; target: T; pathParameters: Record<string, string> }
  | { kind: 'methodNotAllowed'; allow: string[] }
  | { kind: 'notFound' }
  | { kind: 'badPath' };

/** Prepares `route` (whose answer is `target`) for `matchRoute`. */
export function compileRoute<T>(target: T, route: RouteTemplate): CompiledRoute<T> {
  const segments = route.path.split('/').slice(1);
  return {
    target,
    method: route.method,
    segments,
    literals: segments.filter((s) => !isParameter(s)).length,
  };
}

function isParameter(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

/** Matches a raw (still percent-encoded) path against the compiled routes. */
export function matchRoute<T>(
  compiled: readonly CompiledRoute<T>[],
  method: string,
  rawPath: string,
): RouteMatch<T> {
  const parts = rawPath.split('/').slice(1);
  let best: { route: CompiledRoute<T>; params: Record<string, string> } | undefined;
  const allow = new Set<string>();
  for (const candidate of compiled) {
    if (candidate.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (const [i, segment] of candidate.segments.entries()) {
      const part = parts[i] ?? '';
      if (isParameter(segment)) {
        if (part === '') {
          matches = false;
          break;
        }
        try {
          params[segment.slice(1, -1)] = decodeURIComponent(part);
        } catch {
          return { kind: 'badPath' };
        }
      } else if (segment !== part) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    allow.add(candidate.method);
    if (candidate.method === method && (!best || candidate.literals > best.route.literals)) {
      best = { route: candidate, params };
    }
  }
  if (best) return { kind: 'found', target: best.route.target, pathParameters: best.params };
  if (allow.size > 0) return { kind: 'methodNotAllowed', allow: [...allow].sort() };
  return { kind: 'notFound' };
}
