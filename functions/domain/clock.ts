/**
 * Time as a port: the domain and the use cases ask a {@link Clock}, never `Date.now()`, so
 * tests and the local virtual clock can move time deterministically.
 */

/** Source of the current instant. */
export interface Clock {
  /** The current instant; callers may mutate the returned Date without affecting the clock. */
  now(): Date;
}

/** The real wall clock. The only place in the code base allowed to read real time. */
export const systemClock: Clock = {
  now: () => new Date(),
};

const DAY_MS = 86_400_000;

function toInstant(value: Date | string, what: string): number {
  const ms = (typeof value === 'string' ? new Date(value) : value).getTime();
  if (Number.isNaN(ms)) {
    throw new RangeError(`${what} is not a valid instant: ${String(value)}`);
  }
  return ms;
}

/**
 * A clock that only moves when told to. Used by tests and by the local virtual clock that
 * lets the lifecycle's days pass in seconds.
 */
export class ManualClock implements Clock {
  #ms: number;

  /** @param start the initial instant, a Date or an ISO 8601 string. */
  constructor(start: Date | string) {
    this.#ms = toInstant(start, 'start');
  }

  /** A fresh copy of the current instant. */
  now(): Date {
    return new Date(this.#ms);
  }

  /** Jumps to `instant` (forwards or backwards). */
  set(instant: Date | string): void {
    this.#ms = toInstant(instant, 'instant');
  }

  /** Moves by `ms` milliseconds; negative values move back. */
  advance(ms: number): void {
    if (!Number.isFinite(ms)) {
      throw new RangeError(`advance() needs a finite number of milliseconds, got ${ms}`);
    }
    this.#ms += ms;
  }

  /**
   * Moves by `days` exact 24-hour steps (elapsed time, not local calendar days: across a
   * daylight-saving change the local wall-clock hour shifts).
   */
  advanceDays(days: number): void {
    if (!Number.isFinite(days)) {
      throw new RangeError(`advanceDays() needs a finite number of days, got ${days}`);
    }
    this.advance(days * DAY_MS);
  }
}
