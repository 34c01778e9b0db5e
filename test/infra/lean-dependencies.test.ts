import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AssetStaging } from 'aws-cdk-lib';
import Holidays from 'date-holidays';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBusinessCalendar } from '../../functions/domain/business-calendar.js';
import {
  leanDependencyAliases,
  TIME_ZONE_YEARS,
  timeZoneData,
} from '../../infra/constructs/lean-dependencies.js';
import { PROJECT_ROOT } from '../../infra/constructs/service-function.js';
import { buildServiceApp } from './service-app-fixture.js';

/** What the functions compute with the three libraries, bundled here or imported as they are. */
const PROBE = `
import Holidays from 'date-holidays';
import moment from 'moment-timezone';
import { z } from 'zod';
import { createBusinessCalendar } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/domain/business-calendar.ts'))};
export { Holidays, moment, z, createBusinessCalendar };
`;

interface Zone {
  untils: number[];
  utcOffset(timestamp: number): number;
  abbr(timestamp: number): string;
}

interface Moment {
  tz: { names(): string[]; zone(name: string): Zone | null };
}

/** moment-timezone with the full data, as the functions got it before the stand-in. */
const fullMoment = createRequire(import.meta.url)('moment-timezone') as Moment;

interface Probe {
  Holidays: typeof Holidays;
  moment: Moment;
  z: typeof z;
  createBusinessCalendar: typeof createBusinessCalendar;
}

async function bundledProbe(holidaysCountry?: string): Promise<Probe> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'lean-probe-')), 'probe.mjs');
  await build({
    stdin: { contents: PROBE, resolveDir: PROJECT_ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    alias: leanDependencyAliases({ projectRoot: PROJECT_ROOT, ...(holidaysCountry && { holidaysCountry }) }),
    outfile,
    logLevel: 'silent',
  });
  return (await import(pathToFileURL(outfile).href)) as Probe;
}

describe('moment-timezone bundled with the trimmed data', () => {
  let lean: Probe;
  beforeAll(async () => {
    lean = await bundledProbe();
  }, 60_000);

  it('carries far less data than the package', () => {
    const { full, trimmed } = timeZoneData(PROJECT_ROOT);
    expect(JSON.stringify(trimmed).length).toBeLessThan(JSON.stringify(full).length / 4);
  });

  it(`resolves every zone name to the same offsets and abbreviations, ${TIME_ZONE_YEARS.from}–${TIME_ZONE_YEARS.to}`, () => {
    const start = Date.UTC(TIME_ZONE_YEARS.from, 0, 1);
    const end = Date.UTC(TIME_ZONE_YEARS.to + 1, 0, 1);
    const names = fullMoment.tz.names();
    expect(lean.moment.tz.names()).toEqual(names);
    let compared = 0;
    for (const name of names) {
      const before = fullMoment.tz.zone(name) as Zone;
      const after = lean.moment.tz.zone(name);
      expect(after, name).not.toBeNull();
      // Offsets only change at transitions: both sides of each, plus a monthly sweep.
      const instants = before.untils.filter((t) => t >= start && t < end).flatMap((t) => [t - 1, t]);
      for (let t = start; t < end; t += 30 * 86_400_000) instants.push(t);
      for (const t of instants) {
        if (after?.utcOffset(t) !== before.utcOffset(t) || after?.abbr(t) !== before.abbr(t)) {
          expect.fail(
            `${name} at ${new Date(t).toISOString()}: ${after?.utcOffset(t)} ≠ ${before.utcOffset(t)}`,
          );
        }
      }
      compared += instants.length;
    }
    expect(compared).toBeGreaterThan(500_000);
  });
});

const YEARS = Array.from({ length: 21 }, (_, i) => 2020 + i);

describe.each([
  // US: the default; CA: a region; JP: equinox rules (moment-timezone); CL: a rule in a named zone.
  ['US', [undefined, 'CA']],
  ['JP', [undefined]],
  ['CL', [undefined]],
  ['DE', ['BY']],
] as const)('date-holidays bundled for %s only', (country, regions) => {
  let lean: Probe;
  beforeAll(async () => {
    lean = await bundledProbe(country);
  }, 60_000);

  it.each(regions)('gives the same holidays %#, 2020–2040, as the full package', (region) => {
    const [before, after] = [Holidays, lean.Holidays].map((H) =>
      region ? new H(country, region) : new H(country),
    );
    for (const year of YEARS) {
      expect(JSON.stringify(after?.getHolidays(year)), `${country} ${region ?? ''} ${year}`).toBe(
        JSON.stringify(before?.getHolidays(year)),
      );
    }
  });

  it('gives the same business-day deadlines', () => {
    const config = { country, ...(regions[0] && { region: regions[0] }), timeZone: 'America/Los_Angeles' };
    const [before, after] = [createBusinessCalendar, lean.createBusinessCalendar].map((f) => f(config));
    for (let day = 0; day < 3 * 365; day += 3) {
      const from = new Date(Date.UTC(2026, 0, 1, 17, 30) + day * 86_400_000);
      expect(after?.addBusinessDays(from, 5).toISOString()).toBe(
        before?.addBusinessDays(from, 5).toISOString(),
      );
      expect(after?.publicHolidayName(from)).toBe(before?.publicHolidayName(from));
    }
  });

  it('knows no other country', () => {
    expect(Object.keys(new lean.Holidays().getCountries())).toEqual([country]);
  });
});

describe('zod bundled without locales', () => {
  let lean: Probe;
  beforeAll(async () => {
    lean = await bundledProbe();
  }, 60_000);

  it('validates and reports exactly as zod does', () => {
    const schema = (zod: typeof z) =>
      zod.strictObject({ name: zod.string().max(3), email: zod.email(), n: zod.number().int().min(1) });
    const input = { name: 'toolong', email: 'nope', n: 0.5, extra: true };
    expect(schema(lean.z).safeParse(input).error?.issues).toEqual(schema(z).safeParse(input).error?.issues);
    expect(schema(lean.z).parse({ name: 'ok', email: 'a@b.co', n: 2 })).toEqual({
      name: 'ok',
      email: 'a@b.co',
      n: 2,
    });
  });

  it('drops only z.locales and z.core.locales', () => {
    expect(lean.z.locales).toBeUndefined();
    expect((lean.z.core as { locales?: unknown }).locales).toBeUndefined();
    const missing = Object.keys(z).filter((key) => !(key in lean.z));
    expect(missing).toEqual(['locales']);
  });

  it('is not relied upon by the functions (none switches the locale)', async () => {
    const { globSync } = await import('node:fs');
    const sources = globSync('functions/**/*.ts', { cwd: PROJECT_ROOT });
    expect(sources.length).toBeGreaterThan(0);
    for (const file of sources) {
      expect(readFileSync(join(PROJECT_ROOT, file), 'utf8'), file).not.toMatch(
        /\bz\.(core\.)?locales\b|\bz\.config\(|from 'zod\/[^']*locales/,
      );
    }
  });
});

describe('the deployed API bundle', () => {
  let code: string;
  beforeAll(() => {
    const built = buildServiceApp('prod', { bundle: true });
    const api = built.stateless.functions.get('api');
    const staging = api?.function.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
    code = readFileSync(join(staging?.absoluteStagedPath ?? '', 'index.mjs'), 'utf8');
  }, 120_000);

  it('carries the lean stand-ins: one country, no zod locales', () => {
    expect(code).toContain('Independence Day'); // US, the configured country
    expect(code).not.toContain('Tag der Deutschen Einheit'); // DE
    expect(code).not.toContain('Eingabe'); // zod's German messages
  });

  it('stays within its size budget', () => {
    // 2.9 MB before the stand-ins; the libraries' data, not the service's code, dominated it.
    expect(Buffer.byteLength(code)).toBeLessThan(2_000_000);
  });
});
