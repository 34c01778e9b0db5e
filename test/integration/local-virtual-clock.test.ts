import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVirtualClock } from '../../infra/local/virtual-clock.js';

const DAY = 86_400_000;

describe('local virtual clock (real time + persisted offset)', () => {
  let dataDir: string;
  let real: number;
  const realNow = () => real;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpor-clock-'));
    real = Date.parse('2026-03-02T17:00:00Z');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts at the real time and follows it on sync', () => {
    const virtual = createVirtualClock({ dataDir, realNow });
    expect(virtual.clock.now().toISOString()).toBe('2026-03-02T17:00:00.000Z');
    real += 1500;
    expect(virtual.clock.now().toISOString()).toBe('2026-03-02T17:00:00.000Z');
    expect(virtual.sync().toISOString()).toBe('2026-03-02T17:00:01.500Z');
    expect(virtual.clock.now().toISOString()).toBe('2026-03-02T17:00:01.500Z');
  });

  it('keeps an advance across restarts, and never moves backwards', () => {
    const first = createVirtualClock({ dataDir, realNow });
    expect(first.advance(7 * DAY).toISOString()).toBe('2026-03-09T17:00:00.000Z');
    expect(() => first.advance(-1)).toThrow(RangeError);

    real += 60_000;
    const restarted = createVirtualClock({ dataDir, realNow });
    expect(restarted.offsetMs()).toBe(7 * DAY);
    expect(restarted.clock.now().toISOString()).toBe('2026-03-09T17:01:00.000Z');

    restarted.clock.advance(DAY); // moved directly, e.g. by a test: sync must not undo it
    expect(restarted.sync().toISOString()).toBe('2026-03-10T17:01:00.000Z');
  });

  it('refuses a corrupt clock file', () => {
    writeFileSync(join(dataDir, 'virtual-clock.json'), '{"offsetMs":-5}');
    expect(() => createVirtualClock({ dataDir, realNow })).toThrow(/--fresh/);
  });
});
