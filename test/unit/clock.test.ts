import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../functions/domain/clock.js';

describe('systemClock', () => {
  it('reads the real time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    const after = Date.now();

    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });
});

describe('ManualClock', () => {
  it('starts at the instant given as an ISO string or a Date', () => {
    expect(new ManualClock('2026-03-06T17:00:00Z').now().toISOString()).toBe('2026-03-06T17:00:00.000Z');
    expect(new ManualClock(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).now().toISOString()).toBe(
      '2026-01-02T03:04:05.006Z',
    );
  });

  it('does not move by itself', () => {
    const clock = new ManualClock('2026-03-06T17:00:00Z');

    const first = clock.now().getTime();
    const second = clock.now().getTime();

    expect(second).toBe(first);
  });

  it('returns a fresh copy that callers cannot use to move the clock', () => {
    const start = new Date('2026-03-06T17:00:00Z');
    const clock = new ManualClock(start);

    const seen = clock.now();
    seen.setUTCFullYear(1999);
    start.setUTCFullYear(1998);

    expect(clock.now()).not.toBe(clock.now());
    expect(clock.now().toISOString()).toBe('2026-03-06T17:00:00.000Z');
  });

  it('jumps to a set instant, forwards or backwards', () => {
    const clock = new ManualClock('2026-03-06T17:00:00Z');

    clock.set('2027-01-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');

    clock.set(new Date('2025-05-05T05:05:05.005Z'));
    expect(clock.now().toISOString()).toBe('2025-05-05T05:05:05.005Z');
  });

  it('advances by milliseconds, also negative ones', () => {
    const clock = new ManualClock('2026-03-06T17:00:00Z');

    clock.advance(1_500);
    expect(clock.now().toISOString()).toBe('2026-03-06T17:00:01.500Z');

    clock.advance(-60_000);
    expect(clock.now().toISOString()).toBe('2026-03-06T16:59:01.500Z');
  });

  it('advances whole days as 24-hour steps, even across a daylight-saving change', () => {
    // 2026-03-07 09:00 PST; US clocks spring forward on 2026-03-08.
    const clock = new ManualClock('2026-03-07T17:00:00Z');

    clock.advanceDays(2);

    expect(clock.now().toISOString()).toBe('2026-03-09T17:00:00.000Z');
  });

  it('rejects invalid instants and amounts', () => {
    expect(() => new ManualClock('not a date')).toThrow(RangeError);
    const clock = new ManualClock('2026-03-06T17:00:00Z');
    expect(() => clock.set(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advanceDays(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(clock.now().toISOString()).toBe('2026-03-06T17:00:00.000Z');
  });
});
