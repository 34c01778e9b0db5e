/**
 * A partner portal's HTTP client that survives the stack being killed: every mutating request
 * carries an `Idempotency-Key` (the same one on every retry) and is retried with jittered
 * exponential backoff on a refused or reset connection, a timeout, a 5xx and a 409 "still in
 * progress" (`Retry-After`), until the stack answers or the request's time budget is spent.
 * Records latency and status per route for the report.
 */

export interface Answer {
  status: number;
  json: unknown;
  text: string;
  /** Attempts that failed before this answer (0: the first attempt answered). */
  retries: number;
}

export class GaveUpError extends Error {
  override readonly name = 'GaveUpError';
}

export interface ClientStats {
  latencies: Map<string, number[]>;
  statuses: Map<string, Map<string, number>>;
  retries: Map<string, number>;
}

export function newStats(): ClientStats {
  return { latencies: new Map(), statuses: new Map(), retries: new Map() };
}

export interface RetryingClientOptions {
  baseUrl: () => string;
  stats: ClientStats;
  /** Total time one logical request may take, retries included. */
  giveUpMs: number;
  /** One attempt's time limit. */
  attemptTimeoutMs: number;
}

const count = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/** True for an error thrown by `fetch` when the stack is down or went down mid-request. */
const isTransport = (error: unknown) =>
  error instanceof TypeError || (error as Error).name === 'TimeoutError';

export function retryingClient(options: RetryingClientOptions) {
  const { stats } = options;
  const record = (route: string, status: string, ms: number) => {
    const list = stats.latencies.get(route) ?? [];
    list.push(ms);
    stats.latencies.set(route, list);
    const byStatus = stats.statuses.get(route) ?? new Map<string, number>();
    count(byStatus, status);
    stats.statuses.set(route, byStatus);
  };

  /** Retries `attempt` while it throws a transport error or answers what `retryable` says. */
  async function withRetries<T>(
    route: string,
    attempt: () => Promise<{ value: T; status: number; retryable: boolean }>,
    giveUpMs = options.giveUpMs,
  ): Promise<{ value: T; retries: number }> {
    const started = Date.now();
    let retries = 0;
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 2000)) {
      const attemptStarted = performance.now();
      try {
        const { value, status, retryable } = await attempt();
        record(route, String(status), performance.now() - attemptStarted);
        if (!retryable) return { value, retries };
      } catch (error) {
        if (!isTransport(error)) throw error;
        // A refused attempt has no latency worth reporting: only its count.
        const byStatus = stats.statuses.get(route) ?? new Map<string, number>();
        count(byStatus, (error as Error).name === 'TimeoutError' ? 'timeout' : 'refused/reset');
        stats.statuses.set(route, byStatus);
      }
      retries++;
      count(stats.retries, route);
      if (Date.now() - started > giveUpMs) {
        throw new GaveUpError(`${route}: no answer after ${retries} attempts in ${giveUpMs} ms`);
      }
      await new Promise((r) => setTimeout(r, backoff / 2 + Math.random() * backoff));
    }
  }

  return {
    /**
     * One API request; `route` names it in the stats. Mutating requests pass `idempotencyKey`.
     * Answers the first response that is neither a 5xx nor an in-progress 409.
     */
    async send(
      route: string,
      method: string,
      path: string,
      init: {
        token?: string;
        body?: unknown;
        idempotencyKey?: string;
        retryOn?: number[];
        /** One attempt's time limit, when a request may take long (e.g. a clock move firing timers). */
        attemptTimeoutMs?: number;
        /** Instead of the client's `giveUpMs`. */
        giveUpMs?: number;
      } = {},
    ): Promise<Answer> {
      const headers: Record<string, string> = {};
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
      if (init.idempotencyKey !== undefined) headers['idempotency-key'] = init.idempotencyKey;
      const { value, retries } = await withRetries(
        route,
        async () => {
          const response = await fetch(`${options.baseUrl()}${path}`, {
            method,
            headers,
            signal: AbortSignal.timeout(init.attemptTimeoutMs ?? options.attemptTimeoutMs),
            ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
          });
          const text = await response.text();
          let json: unknown;
          if (/json/.test(response.headers.get('content-type') ?? '') && text) json = JSON.parse(text);
          const inProgress = response.status === 409 && response.headers.has('retry-after');
          return {
            value: { status: response.status, json, text },
            status: response.status,
            retryable: response.status >= 500 || inProgress || (init.retryOn ?? []).includes(response.status),
          };
        },
        init.giveUpMs,
      );
      return { ...value, retries };
    },

    /** POSTs a file to a presigned POST form (fields first, the file last, as S3 requires). */
    async upload(
      route: string,
      form: { url: string; fields: Record<string, string> },
      file: Buffer,
      fileName: string,
      contentType: string,
      limits: { giveUpMs?: number } = {},
    ): Promise<Answer> {
      const { value, retries } = await withRetries(
        route,
        async () => {
          const body = new FormData();
          for (const [key, value] of Object.entries(form.fields)) body.append(key, value);
          body.append('file', new Blob([file], { type: contentType }), fileName);
          const response = await fetch(form.url, {
            method: 'POST',
            body,
            signal: AbortSignal.timeout(options.attemptTimeoutMs),
          });
          const text = await response.text();
          return {
            value: { status: response.status, json: undefined, text },
            status: response.status,
            retryable: response.status >= 500,
          };
        },
        limits.giveUpMs,
      );
      return { ...value, retries };
    },
  };
}

export type RetryingClient = ReturnType<typeof retryingClient>;
