import Holidays from 'date-holidays';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  type BusinessCalendar,
  type BusinessCalendarConfig,
  createBusinessCalendar,
  DEFAULT_BUSINESS_CALENDAR,
  InvalidBusinessCalendarError,
} from '../../functions/domain/business-calendar.js';

const LA = 'America/Los_Angeles';
const us = createBusinessCalendar();

/** Local wall-clock rendering, so failures read in the zone the rule is about. */
function local(instant: Date, zone = LA): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat("ccc yyyy-MM-dd HH:mm:ss.SSS 'UTC'ZZ");
}

describe('createBusinessCalendar', () => {
  it('defaults to US public holidays in America/Los_Angeles', () => {
    expect(us.config).toEqual({ country: 'US', timeZone: LA });
    expect(DEFAULT_BUSINESS_CALENDAR).toEqual({ country: 'US', timeZone: LA });
  });

  it('fills missing or undefined fields from the default', () => {
    const calendar = createBusinessCalendar({ country: 'de', timeZone: undefined });

    expect(calendar.config).toEqual({ country: 'DE', timeZone: LA });
  });

  it.each<[string, Partial<BusinessCalendarConfig>, RegExp]>([
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, /time zone 'Mars\/Olympus_Mons'/],
    ['an empty time zone', { timeZone: '' }, /time zone/],
    ['an unknown country', { country: 'XX' }, /country 'XX'/],
    ['an unknown region', { country: 'US', region: 'ZZ' }, /region 'ZZ'/],
  ])('rejects %s with InvalidBusinessCalendarError', (_, config, message) => {
    let thrown: unknown;
    try {
      createBusinessCalendar(config);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(InvalidBusinessCalendarError);
    expect((thrown as Error).name).toBe('InvalidBusinessCalendarError');
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('isBusinessDay and publicHolidayName (US, America/Los_Angeles)', () => {
  it.each([
    // [UTC instant, local date, business day?, public holiday reported by date-holidays]
    ['2026-01-09T17:00:00Z', 'Fri 9 Jan', true, undefined],
    ['2026-01-10T17:00:00Z', 'Sat 10 Jan', false, undefined],
    ['2026-01-11T17:00:00Z', 'Sun 11 Jan', false, undefined],
    ['2026-01-19T17:00:00Z', 'Mon 19 Jan', false, 'Martin Luther King Jr. Day'],
    ['2026-07-03T16:00:00Z', 'Fri 3 Jul', false, 'Independence Day (substitute day)'],
    ['2026-07-04T16:00:00Z', 'Sat 4 Jul', false, 'Independence Day'],
    ['2026-11-26T17:00:00Z', 'Thu 26 Nov', false, 'Thanksgiving Day'],
    // date-holidays lists the day after Thanksgiving as an observance for the US as a whole.
    ['2026-11-27T17:00:00Z', 'Fri 27 Nov', true, undefined],
    // Christmas Eve is an `optional` holiday, not public.
    ['2026-12-24T17:00:00Z', 'Thu 24 Dec', true, undefined],
    ['2026-12-25T17:00:00Z', 'Fri 25 Dec', false, 'Christmas Day'],
    // Washington's Birthday is public; Valentine's Day (an observance) falls on a Monday in 2028.
    ['2027-02-15T17:00:00Z', 'Mon 15 Feb (Washington)', false, "Washington's Birthday"],
    ['2027-02-12T17:00:00Z', 'Fri 12 Feb', true, undefined],
    ['2028-02-14T17:00:00Z', "Mon 14 Feb (Valentine's Day)", true, undefined],
    // New Year's Day 2028 is a Saturday; its substitute is listed under 2027.
    ['2027-12-31T17:00:00Z', 'Fri 31 Dec', false, "New Year's Day (substitute day)"],
  ] as const)('%s (%s): business day %s, holiday %s', (iso, _, business, holiday) => {
    const instant = new Date(iso);

    expect(us.isBusinessDay(instant)).toBe(business);
    expect(us.publicHolidayName(instant)).toBe(holiday);
  });

  it('reads the local date in the zone, not the UTC date', () => {
    // 25 Dec 05:00 UTC is still Thu 24 Dec 21:00 in Los Angeles.
    expect(us.isBusinessDay(new Date('2026-12-25T05:00:00Z'))).toBe(true);
    // 26 Dec 07:59 UTC is still Fri 25 Dec 23:59 in Los Angeles.
    expect(us.isBusinessDay(new Date('2026-12-26T07:59:00Z'))).toBe(false);
    expect(us.publicHolidayName(new Date('2026-12-26T07:59:00Z'))).toBe('Christmas Day');
    // 26 Dec 08:00 UTC is Sat 26 Dec 00:00 local: a weekend, not a holiday.
    expect(us.publicHolidayName(new Date('2026-12-26T08:00:00Z'))).toBeUndefined();
  });

  it('adds the public holidays of a configured region', () => {
    const california = createBusinessCalendar({ country: 'US', region: 'CA', timeZone: LA });

    expect(california.publicHolidayName(new Date('2026-11-27T17:00:00Z'))).toBe('Day after Thanksgiving Day');
    expect(california.publicHolidayName(new Date('2026-03-31T16:00:00Z'))).toBe('César Chávez Day');
    expect(us.isBusinessDay(new Date('2026-03-31T16:00:00Z'))).toBe(true);
  });

  it('rejects an invalid Date', () => {
    expect(() => us.isBusinessDay(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('addBusinessDays (US, America/Los_Angeles)', () => {
  it.each<[string, string, number, string, string]>([
    // [from (UTC), local from, n, expected (UTC), local expected]
    ['2026-01-09T17:00:00Z', 'Fri 9 Jan 09:00 PST', 5, '2026-01-16T17:00:00.000Z', 'Fri 16 Jan 09:00 PST'],
    ['2026-01-09T17:00:00Z', 'Fri 9 Jan 09:00 PST', 1, '2026-01-12T17:00:00.000Z', 'Mon 12 Jan 09:00 PST'],
    // The start day never counts, also when it is a weekend day or a holiday.
    ['2026-01-10T17:00:00Z', 'Sat 10 Jan 09:00 PST', 1, '2026-01-12T17:00:00.000Z', 'Mon 12 Jan 09:00 PST'],
    ['2026-11-26T17:00:00Z', 'Thu 26 Nov 09:00 PST', 1, '2026-11-27T17:00:00.000Z', 'Fri 27 Nov 09:00 PST'],
    // Thanksgiving (Thu 26 Nov) is skipped; the day after is a business day in the US.
    ['2026-11-23T17:00:00Z', 'Mon 23 Nov 09:00 PST', 5, '2026-12-01T17:00:00.000Z', 'Tue 1 Dec 09:00 PST'],
    // Independence Day on Sat 4 Jul 2026 is observed on Fri 3 Jul.
    ['2026-07-02T16:00:00Z', 'Thu 2 Jul 09:00 PDT', 1, '2026-07-06T16:00:00.000Z', 'Mon 6 Jul 09:00 PDT'],
    // Christmas Day (Fri 25 Dec); Christmas Eve is a working day.
    ['2026-12-23T17:00:00Z', 'Wed 23 Dec 09:00 PST', 2, '2026-12-28T17:00:00.000Z', 'Mon 28 Dec 09:00 PST'],
    ['2026-12-23T17:00:00Z', 'Wed 23 Dec 09:00 PST', 1, '2026-12-24T17:00:00.000Z', 'Thu 24 Dec 09:00 PST'],
    // Across the new year: Fri 31 Dec 2027 is the substitute for Sat 1 Jan 2028.
    ['2027-12-30T17:00:00Z', 'Thu 30 Dec 09:00 PST', 1, '2028-01-03T17:00:00.000Z', 'Mon 3 Jan 09:00 PST'],
    // DST starts Sun 8 Mar 2026: local 09:00 stays, the UTC hour moves from 17 to 16.
    ['2026-03-06T17:00:00Z', 'Fri 6 Mar 09:00 PST', 5, '2026-03-13T16:00:00.000Z', 'Fri 13 Mar 09:00 PDT'],
    // DST ends Sun 1 Nov 2026: local 09:00 stays, the UTC hour moves from 16 to 17.
    ['2026-10-30T16:00:00Z', 'Fri 30 Oct 09:00 PDT', 5, '2026-11-06T17:00:00.000Z', 'Fri 6 Nov 09:00 PST'],
    // Milliseconds and an hour near midnight survive.
    [
      '2026-01-10T07:59:59.999Z',
      'Fri 9 Jan 23:59:59.999',
      1,
      '2026-01-13T07:59:59.999Z',
      'Mon 12 Jan 23:59:59.999',
    ],
  ])('%s (%s) + %i business days = %s (%s)', (fromIso, _from, n, expected) => {
    const result = us.addBusinessDays(new Date(fromIso), n);

    expect(result.toISOString(), local(result)).toBe(expected);
  });

  it('skips the regional holiday of a configured region too', () => {
    const california = createBusinessCalendar({ country: 'US', region: 'CA', timeZone: LA });

    const result = california.addBusinessDays(new Date('2026-11-23T17:00:00Z'), 5);

    expect(result.toISOString(), local(result)).toBe('2026-12-02T17:00:00.000Z');
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s business days', (n) => {
    expect(() => us.addBusinessDays(new Date('2026-01-09T17:00:00Z'), n)).toThrow(RangeError);
  });

  it('rejects an invalid start', () => {
    expect(() => us.addBusinessDays(new Date(Number.NaN), 1)).toThrow(RangeError);
  });
});

describe('addCalendarDays (US, America/Los_Angeles)', () => {
  it.each([
    // Across the start of DST: Sat 7 Mar 09:00 PST + 7 = Sat 14 Mar 09:00 PDT.
    ['2026-03-07T17:00:00Z', 7, '2026-03-14T16:00:00.000Z'],
    // Across the end of DST: Wed 28 Oct 09:00 PDT + 7 = Wed 4 Nov 09:00 PST.
    ['2026-10-28T16:00:00Z', 7, '2026-11-04T17:00:00.000Z'],
    // Weekends and holidays count: Thu 24 Dec 09:00 PST + 30 = Sat 23 Jan 2027 09:00 PST.
    ['2026-12-24T17:00:00Z', 30, '2027-01-23T17:00:00.000Z'],
    ['2026-03-14T16:00:00Z', -7, '2026-03-07T17:00:00.000Z'],
    ['2026-03-14T16:00:00Z', 0, '2026-03-14T16:00:00.000Z'],
    // 02:30 does not exist on Sun 8 Mar 2026 (02:00 → 03:00): luxon moves it to 03:30 PDT…
    ['2026-03-07T10:30:00Z', 1, '2026-03-08T10:30:00.000Z'],
    // …and only on that day: two days on it is 02:30 PDT again.
    ['2026-03-07T10:30:00Z', 2, '2026-03-09T09:30:00.000Z'],
    // 01:30 exists twice on Sun 1 Nov 2026; the source's offset is kept (PDT, then PST).
    ['2026-10-31T08:30:00Z', 1, '2026-11-01T08:30:00.000Z'],
    ['2026-11-02T09:30:00Z', -1, '2026-11-01T09:30:00.000Z'],
  ] as const)('%s + %i calendar days = %s', (fromIso, n, expected) => {
    const result = us.addCalendarDays(new Date(fromIso), n);

    expect(result.toISOString(), local(result)).toBe(expected);
  });

  it.each([1.5, Number.NaN])('rejects %s calendar days', (n) => {
    expect(() => us.addCalendarDays(new Date('2026-01-09T17:00:00Z'), n)).toThrow(RangeError);
  });
});

describe('another country and zone (DE, Europe/Berlin)', () => {
  const berlin = 'Europe/Berlin';
  const de = createBusinessCalendar({ country: 'DE', timeZone: berlin });

  it('knows German public holidays on the Berlin local date', () => {
    expect(de.publicHolidayName(new Date('2026-04-03T10:00:00Z'))).toBe('Karfreitag');
    // Thu 2 Apr 22:30 UTC is already Fri 3 Apr 00:30 in Berlin (Good Friday)…
    expect(de.isBusinessDay(new Date('2026-04-02T22:30:00Z'))).toBe(false);
    // …while in Los Angeles the same instant is Thu 2 Apr, and Good Friday is no US holiday.
    expect(us.isBusinessDay(new Date('2026-04-02T22:30:00Z'))).toBe(true);
    expect(us.isBusinessDay(new Date('2026-04-03T17:00:00Z'))).toBe(true);
    // Thanksgiving is no German holiday.
    expect(de.isBusinessDay(new Date('2026-11-26T10:00:00Z'))).toBe(true);
  });

  it('skips Good Friday and Easter Monday', () => {
    // Thu 2 Apr 2026 09:00 CEST + 1 business day = Tue 7 Apr 09:00 CEST.
    const result = de.addBusinessDays(new Date('2026-04-02T07:00:00Z'), 1);

    expect(result.toISOString(), local(result, berlin)).toBe('2026-04-07T07:00:00.000Z');
  });

  it('keeps local 09:00 across the European DST change (Sun 29 Mar 2026)', () => {
    // Fri 27 Mar 09:00 CET + 1 business day = Mon 30 Mar 09:00 CEST.
    const result = de.addBusinessDays(new Date('2026-03-27T08:00:00Z'), 1);

    expect(result.toISOString(), local(result, berlin)).toBe('2026-03-30T07:00:00.000Z');
  });

  it('uses the regional holidays of a German state', () => {
    const bavaria = createBusinessCalendar({ country: 'DE', region: 'BY', timeZone: berlin });

    expect(bavaria.publicHolidayName(new Date('2026-01-06T10:00:00Z'))).toBe('Heilige Drei Könige');
    expect(de.publicHolidayName(new Date('2026-01-06T10:00:00Z'))).toBeUndefined();
  });
});

describe('a southern-hemisphere zone (AU-NSW, Australia/Sydney)', () => {
  it('keeps a local time that a DST gap on a skipped day would have shifted', () => {
    // Sydney springs forward on Sun 4 Oct 2026 (02:00 → 03:00, so 02:30 does not exist that
    // day); Mon 5 Oct is Labour Day in NSW. Fri 2 Oct 02:30 AEST + 1 = Tue 6 Oct 02:30 AEDT.
    const sydney = 'Australia/Sydney';
    const nsw = createBusinessCalendar({ country: 'AU', region: 'NSW', timeZone: sydney });

    const result = nsw.addBusinessDays(new Date('2026-10-01T16:30:00Z'), 1);

    expect(result.toISOString(), local(result, sydney)).toBe('2026-10-05T15:30:00.000Z');
  });
});

describe('holidays that are not one whole day (as date-holidays reports them)', () => {
  const dayIn = (calendar: BusinessCalendar, isoDate: string) => ({
    business: calendar.isBusinessDay(new Date(`${isoDate}T10:00:00Z`)),
    holiday: calendar.publicHolidayName(new Date(`${isoDate}T10:00:00Z`)),
  });

  it('closes every day of a multi-day public holiday', () => {
    // Armenia: New Year is Thu 1 – Fri 2 Jan 2026.
    const armenia = createBusinessCalendar({ country: 'AM', timeZone: 'Asia/Yerevan' });

    expect(dayIn(armenia, '2026-01-02')).toEqual({ business: false, holiday: 'Ամանոր' });
    expect(dayIn(armenia, '2026-01-07')).toEqual({ business: true, holiday: undefined });
  });

  it('closes the days of a holiday that starts at sunset, but not its eve', () => {
    // Bosnia and Herzegovina: Kurbanski bajram 2026 runs from the evening of Tue 26 May
    // through Sat 30 May.
    const bosnia = createBusinessCalendar({ country: 'BA', timeZone: 'Europe/Sarajevo' });

    expect(dayIn(bosnia, '2026-05-26')).toEqual({ business: true, holiday: undefined });
    expect(dayIn(bosnia, '2026-05-27')).toEqual({ business: false, holiday: 'Kurbanski bajram' });
    expect(dayIn(bosnia, '2026-05-29')).toEqual({ business: false, holiday: 'Kurbanski bajram' });
    // Tue 26 May 09:00 + 1 business day = Mon 1 Jun 09:00 CEST.
    expect(bosnia.addBusinessDays(new Date('2026-05-26T07:00:00Z'), 1).toISOString()).toBe(
      '2026-06-01T07:00:00.000Z',
    );
  });

  it('finds a holiday listed under the previous year', () => {
    // Eswatini: Incwala, listed in 2024, runs Sat 28 Dec 2024 – Thu 2 Jan 2025.
    const eswatini = createBusinessCalendar({ country: 'SZ', timeZone: 'Africa/Mbabane' });

    expect(dayIn(eswatini, '2025-01-02')).toEqual({ business: false, holiday: 'Incwala' });
    expect(dayIn(eswatini, '2025-01-03')).toEqual({ business: true, holiday: undefined });
  });

  it.each([
    ['AU', 'SA', 'Australia/Adelaide', '2026-12-24', '2026-12-24 19:00:00', 'Christmas Eve'],
    ['US', 'KY', 'America/New_York', '2026-04-03', '2026-04-03 14:00:00', 'Good Friday'],
  ])(
    'keeps a public half day as a business day (%s-%s %s)',
    (country, region, timeZone, isoDate, listed, name) => {
      const reported = new Holidays(country, region)
        .getHolidays(Number(isoDate.slice(0, 4)))
        .filter((holiday) => holiday.date.startsWith(isoDate));
      expect(reported.map(({ date, type, name }) => ({ date, type, name }))).toEqual([
        { date: listed, type: 'public', name },
      ]);

      const calendar = createBusinessCalendar({ country, region, timeZone });

      expect(dayIn(calendar, isoDate)).toEqual({ business: true, holiday: undefined });
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Properties, checked against an oracle built straight from date-holidays' local date strings
// (not from the calendar under test).

interface Subject {
  label: string;
  calendar: BusinessCalendar;
  zone: string;
  holidays: ReadonlySet<string>;
}

function subject(config: BusinessCalendarConfig): Subject {
  const source = config.region ? new Holidays(config.country, config.region) : new Holidays(config.country);
  const holidays = new Set<string>();
  for (let year = 2023; year <= 2032; year += 1) {
    for (const holiday of source.getHolidays(year)) {
      if (holiday.type === 'public') holidays.add(holiday.date.slice(0, 10));
    }
  }
  return {
    label: `${config.country}${config.region ? `-${config.region}` : ''} ${config.timeZone}`,
    calendar: createBusinessCalendar(config),
    zone: config.timeZone,
    holidays,
  };
}

const subjects = [
  subject({ country: 'US', timeZone: LA }),
  subject({ country: 'DE', timeZone: 'Europe/Berlin' }),
  subject({ country: 'AU', region: 'NSW', timeZone: 'Australia/Sydney' }),
];
const usSubject = subjects[0] as Subject;

/** A calendar date (`yyyy-MM-dd`) as a zone-free UTC midnight, for plain date arithmetic. */
function dateOnly(isoDate: string): DateTime {
  return DateTime.fromISO(isoDate, { zone: 'utc' });
}

function isBusinessDate(s: Subject, isoDate: string): boolean {
  const weekday = dateOnly(isoDate).weekday;
  return weekday <= 5 && !s.holidays.has(isoDate);
}

/** Business days in the half-open local date range (from, to]. */
function businessDaysBetween(s: Subject, from: string, to: string): number {
  let count = 0;
  const end = dateOnly(to);
  for (let day = dateOnly(from).plus({ days: 1 }); day <= end; day = day.plus({ days: 1 })) {
    if (isBusinessDate(s, day.toISODate() ?? '')) count += 1;
  }
  return count;
}

function localDate(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISODate() ?? '';
}

function msOfDay(instant: Date, zone: string): number {
  const t = DateTime.fromJSDate(instant, { zone });
  return ((t.hour * 60 + t.minute) * 60 + t.second) * 1000 + t.millisecond;
}

/**
 * The result keeps `from`'s local time of day, unless that time does not exist on the
 * result's date: then it is pushed forward by exactly the length of that day's DST gap.
 */
function expectSameLocalTimeOrGapShift(from: Date, result: Date, zone: string): void {
  const shift = msOfDay(result, zone) - msOfDay(from, zone);
  if (shift === 0) return;
  const day = DateTime.fromJSDate(result, { zone });
  const gapMinutes = day.endOf('day').offset - day.startOf('day').offset;
  expect(gapMinutes, `${local(from, zone)} → ${local(result, zone)}`).toBeGreaterThan(0);
  expect(shift).toBe(gapMinutes * 60_000);
}

const instant2024to2030 = fc.date({
  min: new Date('2024-01-01T00:00:00.000Z'),
  max: new Date('2030-12-31T23:59:59.999Z'),
  noInvalidDate: true,
});

/** Local times around 02:00, where DST gaps and overlaps happen, on any date 2024–2030. */
const nightInstant = (zone: string) =>
  fc
    .record({
      day: fc.integer({ min: 0, max: 7 * 366 }),
      hour: fc.integer({ min: 0, max: 3 }),
      minute: fc.integer({ min: 0, max: 59 }),
    })
    .map(({ day, hour, minute }) =>
      DateTime.fromObject({ year: 2024, month: 1, day: 1, hour, minute }, { zone })
        .plus({ days: day })
        .toJSDate(),
    );

const anySubject = fc.constantFrom(...subjects);
const subjectAndInstant = anySubject.chain((s) =>
  fc.tuple(fc.constant(s), fc.oneof(instant2024to2030, nightInstant(s.zone))),
);

describe('addBusinessDays properties', () => {
  it('lands, after `from`, on the n-th business day of the local calendar, same local time', () => {
    fc.assert(
      fc.property(subjectAndInstant, fc.integer({ min: 1, max: 30 }), ([s, from], n) => {
        const result = s.calendar.addBusinessDays(from, n);
        const fromDate = localDate(from, s.zone);
        const resultDate = localDate(result, s.zone);

        expect(result.getTime()).toBeGreaterThan(from.getTime());
        expect(isBusinessDate(s, resultDate), `${s.label}: ${resultDate}`).toBe(true);
        expect(s.calendar.isBusinessDay(result)).toBe(true);
        expect(businessDaysBetween(s, fromDate, resultDate), `${s.label}: ${fromDate} → ${resultDate}`).toBe(
          n,
        );
        expectSameLocalTimeOrGapShift(from, result, s.zone);
      }),
      { numRuns: 300 },
    );
  });

  it('composes: m then n business days equals m + n (US, where DST never moves a weekday)', () => {
    fc.assert(
      fc.property(
        instant2024to2030,
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 1, max: 15 }),
        (from, m, n) => {
          const { calendar } = usSubject;

          const stepwise = calendar.addBusinessDays(calendar.addBusinessDays(from, m), n);

          expect(stepwise.toISOString()).toBe(calendar.addBusinessDays(from, m + n).toISOString());
        },
      ),
    );
  });
});

describe('addCalendarDays properties', () => {
  it('moves the local date by exactly n days and keeps the local time of day', () => {
    fc.assert(
      fc.property(subjectAndInstant, fc.integer({ min: -30, max: 30 }), ([s, from], n) => {
        const result = s.calendar.addCalendarDays(from, n);

        const days = dateOnly(localDate(result, s.zone)).diff(dateOnly(localDate(from, s.zone)), 'days').days;
        expect(days).toBe(n);
        expectSameLocalTimeOrGapShift(from, result, s.zone);
        if (n > 0) expect(result.getTime()).toBeGreaterThan(from.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('differs from n × 24 h only by the DST offset change between the two instants', () => {
    fc.assert(
      fc.property(subjectAndInstant, fc.integer({ min: 1, max: 30 }), ([s, from], n) => {
        const result = s.calendar.addCalendarDays(from, n);
        const offsetChange =
          DateTime.fromJSDate(result, { zone: s.zone }).offset -
          DateTime.fromJSDate(from, { zone: s.zone }).offset;
        const gapShift = msOfDay(result, s.zone) - msOfDay(from, s.zone);

        expect(result.getTime() - from.getTime()).toBe(n * 86_400_000 - offsetChange * 60_000 + gapShift);
      }),
    );
  });
});
