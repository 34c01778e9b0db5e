/**
 * Deadlines as people read them: in the deployment's time zone (the business calendar's),
 * followed by the UTC instant, so a reader elsewhere can convert without guessing,
 * e.g. `Thu 10 Dec 2026, 5:00 PM PST (01:00 UTC, 11 Dec)`.
 */

type Parts = Partial<Record<Intl.DateTimeFormatPartTypes, string>>;

const formats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone and shape: building one costs far more than using it. */
function partsOf(instant: Date, timeZone: string, options: Intl.DateTimeFormatOptions): Parts {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
    formats.set(key, format);
  }
  return Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
}

const LOCAL: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
  timeZoneName: 'short',
};
const UTC: Intl.DateTimeFormatOptions = {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

/**
 * `iso` in `timeZone` with the zone's abbreviation (`PST`, or `GMT+1` where English has none),
 * then the UTC time, with the UTC date when it differs from the local one (and its year when
 * that differs too). In UTC itself the instant is stated once.
 *
 * @throws RangeError for an unknown time zone or an invalid instant.
 */
export function formatDeadline(iso: string, timeZone: string): string {
  const instant = new Date(iso);
  const local = partsOf(instant, timeZone, LOCAL);
  const text = `${local.weekday} ${local.day} ${local.month} ${local.year}, ${local.hour}:${local.minute} ${local.dayPeriod} ${local.timeZoneName}`;
  if (local.timeZoneName === 'UTC') return text;
  const utc = partsOf(instant, 'UTC', UTC);
  const sameDay = utc.day === local.day && utc.month === local.month && utc.year === local.year;
  const date = sameDay ? '' : `, ${utc.day} ${utc.month}${utc.year === local.year ? '' : ` ${utc.year}`}`;
  return `${text} (${utc.hour}:${utc.minute} UTC${date})`;
}
