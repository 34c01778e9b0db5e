/**
 * An independent oracle for the deadline arithmetic the tests check: local dates in the
 * deployment zone, US public holidays straight from `date-holidays`, business days counted
 * on date strings. Deliberately not the business calendar under test.
 */
import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import { ZONE } from './claim-fixtures.js';

const holidays = new Holidays('US');
const publicHolidaysByYear = new Map<number, Set<string>>();

function publicHolidays(year: number): Set<string> {
  let dates = publicHolidaysByYear.get(year);
  if (!dates) {
    dates = new Set(
      holidays
        .getHolidays(year)
        .filter((h) => h.type === 'public')
        .map((h) => h.date.slice(0, 10)),
    );
    publicHolidaysByYear.set(year, dates);
  }
  return dates;
}

/** The local date (`YYYY-MM-DD`) of an instant in the deployment zone. */
export function localDate(instant: Date | string): string {
  return local(instant).toFormat('yyyy-MM-dd');
}

/** The local wall-clock time (`HH:mm:ss.SSS`) of an instant in the deployment zone. */
export function localTime(instant: Date | string): string {
  return local(instant).toFormat('HH:mm:ss.SSS');
}

/** Whether a local date is neither a weekend day nor a US public holiday. */
export function isBusinessDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !publicHolidays(year).has(date);
}

/** The local date `days` calendar days after `date`. */
export function plusDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Business days strictly after `from`'s local date up to and including `to`'s local date. */
export function businessDaysBetween(from: Date | string, to: Date | string): number {
  const end = localDate(to);
  let count = 0;
  for (let date = plusDays(localDate(from), 1); date <= end; date = plusDays(date, 1)) {
    if (isBusinessDate(date)) count += 1;
  }
  return count;
}

/** `from`'s local wall-clock time on the `days`-th business day after its local date, as ISO UTC. */
export function expectedBusinessDay(from: Date, days: number): string {
  let date = localDate(from);
  for (let counted = 0; counted < days; ) {
    date = plusDays(date, 1);
    if (isBusinessDate(date)) counted += 1;
  }
  return atLocal(date, from);
}

/** `from`'s local wall-clock time `days` local dates later, as ISO UTC. */
export function expectedCalendarDay(from: Date, days: number): string {
  return atLocal(plusDays(localDate(from), days), from);
}

/** The instant at `date` with the local wall-clock time of `timeOf`. */
export function atLocal(date: string, timeOf: Date | string): string {
  const t = local(timeOf);
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return DateTime.fromObject(
    { year, month, day, hour: t.hour, minute: t.minute, second: t.second, millisecond: t.millisecond },
    { zone: ZONE },
  )
    .toUTC()
    .toISO() as string;
}

function local(instant: Date | string): DateTime {
  return DateTime.fromJSDate(new Date(instant), { zone: ZONE });
}
