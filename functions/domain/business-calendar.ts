/**
 * The deployment's business calendar: which local days are working days, and how deadlines
 * counted in business or calendar days map to UTC instants. Pure: no AWS, no real time.
 */
import Holidays from 'date-holidays';
import { DateTime, IANAZone } from 'luxon';

/** Where the business days are counted. */
export interface BusinessCalendarConfig {
  /** ISO 3166-1 alpha-2 country known to `date-holidays`, e.g. `US`, `DE`. */
  country: string;
  /** Optional state/region of the country as `date-holidays` names it, e.g. `CA` for California. */
  region?: string;
  /** IANA time zone in which local dates and wall-clock times are read, e.g. `America/Los_Angeles`. */
  timeZone: string;
}

export const DEFAULT_BUSINESS_CALENDAR: BusinessCalendarConfig = {
  country: 'US',
  timeZone: 'America/Los_Angeles',
};

/**
 * Business-day arithmetic in the local time of one zone.
 *
 * A local date is a business day when it is neither a Saturday or Sunday nor a public holiday
 * (`date-holidays` entries of type `public` only; observances, optional, bank and school
 * holidays are working days). Holidays are matched on the local date in the configured zone.
 * A public holiday lasting several days closes each of them; a public half day (one that
 * starts after 00:00, e.g. Christmas Eve from 12:00 in some countries) does not close the day.
 */
export interface BusinessCalendar {
  readonly config: BusinessCalendarConfig;

  /** Whether the local date of `instant` in the configured zone is a business day. */
  isBusinessDay(instant: Date): boolean;

  /**
   * The instant `days` business days after `from`.
   *
   * Steps one local calendar day at a time from `from`'s local date (the start day itself never
   * counts, even if it is a business day; if it is a weekend or holiday, counting simply starts
   * with the next day) and stops on the `days`-th business day. The result has the same local
   * wall-clock time as `from`, so a daylight-saving change in between moves the UTC hour but
   * not the local one. Each candidate day is computed from `from` directly, so a shift on one
   * day never carries over to the next.
   *
   * When `from`'s local time does not exist on the result's date (it falls in a DST gap),
   * luxon moves it forward by the gap (e.g. 02:30 becomes 03:30). When it exists twice (DST
   * fall-back), luxon keeps `from`'s UTC offset if it is valid there.
   *
   * @throws RangeError if `days` is not a positive integer or `from` is an invalid Date.
   */
  addBusinessDays(from: Date, days: number): Date;

  /**
   * The instant `days` local calendar days after `from` (negative goes back): the local date
   * moves by `days`, the local wall-clock time stays, then it is converted to UTC. DST gaps
   * and overlaps are resolved as in {@link BusinessCalendar.addBusinessDays}.
   *
   * @throws RangeError if `days` is not an integer or `from` is an invalid Date.
   */
  addCalendarDays(from: Date, days: number): Date;

  /**
   * Name of the public holiday closing the local date of `instant` (several joined with `, `),
   * or `undefined`; half days are not reported, as they do not close the day.
   */
  publicHolidayName(instant: Date): string | undefined;
}

/** The business calendar configuration names an unknown time zone, country or region. */
export class InvalidBusinessCalendarError extends Error {
  override readonly name = 'InvalidBusinessCalendarError';
}

const SATURDAY = 6;
const SUNDAY = 7;
const DAY_MS = 86_400_000;

/**
 * date-holidays dates read `YYYY-MM-DD hh:mm:ss [±hhmm]`. A holiday starting at 00:00 covers
 * whole days from that date on; the optional offset only says it begins the evening before
 * (Islamic holidays start at sunset), which does not close the office on that eve. One
 * starting later in the day (Christmas Eve from 12:00) is a half day: still a business day.
 */
function coversWholeDays(date: string): boolean {
  return date.slice(11, 19) === '00:00:00';
}

/**
 * Builds the calendar for `config`, filled in from {@link DEFAULT_BUSINESS_CALENDAR}.
 *
 * @throws InvalidBusinessCalendarError if the zone is not a valid IANA zone, or `date-holidays`
 * does not know the country or the region.
 */
export function createBusinessCalendar(config: Partial<BusinessCalendarConfig> = {}): BusinessCalendar {
  const resolved = validate({
    country: config.country ?? DEFAULT_BUSINESS_CALENDAR.country,
    region: config.region,
    timeZone: config.timeZone ?? DEFAULT_BUSINESS_CALENDAR.timeZone,
  });
  const { timeZone } = resolved;
  const holidays = resolved.region
    ? new Holidays(resolved.country, resolved.region)
    : new Holidays(resolved.country);

  // date-holidays recomputes every rule on each call, so each year's list is read once. A
  // holiday listed under one year may run into the next (Eswatini's Incwala, 28 Dec – 2 Jan),
  // so a lookup loads the previous year too.
  const namesByDate = new Map<string, string>();
  const loadedYears = new Set<number>();

  const loadYear = (year: number): void => {
    if (loadedYears.has(year)) return;
    loadedYears.add(year);
    for (const holiday of holidays.getHolidays(year)) {
      if (holiday.type !== 'public' || !coversWholeDays(holiday.date)) continue;
      const first = DateTime.fromISO(holiday.date.slice(0, 10), { zone: 'utc' });
      // Rounded because a span crossing a DST change is an hour off whole days.
      const length = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / DAY_MS));
      for (let i = 0; i < length; i += 1) {
        const key = first.plus({ days: i }).toISODate() ?? '';
        const existing = namesByDate.get(key);
        if (existing === undefined) namesByDate.set(key, holiday.name);
        else if (!existing.split(', ').includes(holiday.name))
          namesByDate.set(key, `${existing}, ${holiday.name}`);
      }
    }
  };

  const holidayOn = (local: DateTime): string | undefined => {
    loadYear(local.year - 1);
    loadYear(local.year);
    return namesByDate.get(local.toISODate() ?? '');
  };

  const isBusinessLocal = (local: DateTime): boolean =>
    local.weekday !== SATURDAY && local.weekday !== SUNDAY && holidayOn(local) === undefined;

  const local = (instant: Date): DateTime => {
    const value = DateTime.fromJSDate(instant, { zone: timeZone });
    if (!value.isValid) throw new RangeError(`Not a valid instant: ${String(instant)}`);
    return value;
  };

  return {
    config: resolved,

    isBusinessDay: (instant) => isBusinessLocal(local(instant)),

    publicHolidayName: (instant) => holidayOn(local(instant)),

    addBusinessDays(from, days) {
      if (!Number.isSafeInteger(days) || days < 1) {
        throw new RangeError(`addBusinessDays() needs a positive integer, got ${days}`);
      }
      const start = local(from);
      let counted = 0;
      let offset = 0;
      let candidate = start;
      while (counted < days) {
        offset += 1;
        candidate = start.plus({ days: offset });
        if (isBusinessLocal(candidate)) counted += 1;
      }
      return candidate.toJSDate();
    },

    addCalendarDays(from, days) {
      if (!Number.isSafeInteger(days)) {
        throw new RangeError(`addCalendarDays() needs an integer, got ${days}`);
      }
      return local(from).plus({ days }).toJSDate();
    },
  };
}

function validate(config: BusinessCalendarConfig): BusinessCalendarConfig {
  const { timeZone, region } = config;
  const country = config.country.toUpperCase();
  if (!IANAZone.isValidZone(timeZone)) {
    throw new InvalidBusinessCalendarError(`Unknown IANA time zone '${timeZone}'.`);
  }
  const catalogue = new Holidays();
  if (!Object.hasOwn(catalogue.getCountries() ?? {}, country)) {
    throw new InvalidBusinessCalendarError(`date-holidays does not know the country '${config.country}'.`);
  }
  if (region === undefined) return { country, timeZone };
  const normalizedRegion = region.toUpperCase();
  if (!Object.hasOwn(catalogue.getStates(country) ?? {}, normalizedRegion)) {
    throw new InvalidBusinessCalendarError(
      `date-holidays does not know the region '${region}' of country '${country}'.`,
    );
  }
  return { country, region: normalizedRegion, timeZone };
}
