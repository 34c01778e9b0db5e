/**
 * Optimistic concurrency: a conditional write that lost to another writer, and the retry
 * of a read-decide-write that it calls for.
 */
import { VersionConflictError } from './errors.js';

/** How often, and how patiently, a read-decide-write is tried again after losing a race. */
export interface RetryPolicy {
  maxAttempts: number;
  /**
   * Full-jitter exponential backoff before each new attempt: a random wait up to
   * `min(maxDelayMs, baseDelayMs * 2^(n-1))`, so racers spread out instead of colliding again.
   * Without it attempts follow each other at once.
   */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
}

/** The wait before attempt `n + 1` (full jitter); exported for its tests. */
export function backoffDelay(n: number, backoff: NonNullable<RetryPolicy['backoff']>, random = Math.random) {
  return Math.floor(random() * Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (n - 1)));
}

/**
 * Runs a read-decide-write `attempt` again while its conditional write loses to a concurrent
 * one: every attempt re-reads, so the decision is always made on the current claim. After
 * `maxAttempts` the conflict is rethrown (the API answers 409).
 */
export async function retryOnVersionConflict<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy | number = 5,
): Promise<T> {
  const { maxAttempts, backoff } = typeof policy === 'number' ? { maxAttempts: policy } : policy;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || !error.retryable || n >= maxAttempts) throw error;
      const delay = backoff ? backoffDelay(n, backoff) : 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
