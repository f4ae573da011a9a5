// Times are stored in UTC and shown in the viewer's own zone (their profile's, not the
// device's: a partner travelling still sees their agreed times).

let zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function setZone(timeZone: string): void {
  zone = timeZone;
}

export function currentZone(): string {
  return zone;
}

/** Formatters are costly to make and are made once per zone and style. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let made = formatters.get(key);
  if (!made) {
    made = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, made);
  }
  return made;
}

function format(iso: string, options: Intl.DateTimeFormatOptions): string {
  return formatter('en-GB', { timeZone: zone, ...options }).format(new Date(iso));
}

export const time = (iso: string): string => format(iso, { hour: '2-digit', minute: '2-digit' });
export const day = (iso: string): string =>
  format(iso, { weekday: 'long', day: 'numeric', month: 'long' });
export const dateTime = (iso: string): string =>
  format(iso, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** The calendar day of `iso` in the viewer's zone, as YYYY-MM-DD (for grouping). */
export function dayKey(iso: string): string {
  return formatter('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

/**
 * The UTC instant of a wall-clock `date` (YYYY-MM-DD) and `clock` (HH:MM) in `timeZone` (the
 * viewer's by default), resolved as the server resolves it: a time that occurs twice (the
 * autumn change) is the first of the two; a time skipped by the spring change is read with the
 * offset from before the gap (so 02:30 becomes 03:30).
 */
export function instantOf(date: string, clock: string, timeZone = zone): string {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = clock.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const HALF_DAY = 12 * 3600_000;
  const before = offsetAt(wall - HALF_DAY, timeZone);
  const after = offsetAt(wall + HALF_DAY, timeZone);
  const readings = [wall - before, wall - after]
    .filter((instant) => offsetAt(instant, timeZone) === wall - instant)
    .sort((a, b) => a - b);
  return new Date(readings[0] ?? wall - before).toISOString();
}

function offsetAt(epochMillis: number, timeZone: string): number {
  const parts = formatter('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMillis));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(epochMillis / 1000) * 1000;
}

/** Today's date in the viewer's zone, YYYY-MM-DD. */
export function today(): string {
  return dayKey(new Date().toISOString());
}
