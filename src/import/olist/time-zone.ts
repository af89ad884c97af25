/**
 * Reads the dataset's zone-less local timestamps (`YYYY-MM-DD HH:MM:SS`) as
 * wall-clock times of an IANA time zone and turns them into instants, using
 * the zone rules of the runtime's Intl data.
 *
 * Around a daylight-saving change the mapping is the one Temporal calls
 * `compatible`: a wall time that occurs twice (clocks set back) is the
 * earlier instant, and a wall time that does not exist (clocks set forward)
 * is moved forward by the length of the gap.
 */
const localTimestampPattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

const HOUR_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Checks whether the runtime's Intl data contains this IANA time zone name. */
export function isValidTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Wall-clock time of `instantMs` in `zone`, expressed as milliseconds of the same fields read as UTC. */
function wallClockMs(instantMs: number, zone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
}

/** Offset from UTC of `zone` at `instantMs`, in milliseconds (negative west of Greenwich). */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  return wallClockMs(wholeSecond, zone) - wholeSecond;
}

/**
 * Parses a zone-less local timestamp; returns undefined for an empty or
 * malformed value or an impossible date such as 2017-02-30.
 */
export function parseLocalTimestamp(text: string): number | undefined {
  const match = localTimestampPattern.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  const valid =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  return valid ? wall : undefined;
}

/** Converts a wall-clock time (fields read as UTC milliseconds) in `zone` to the instant it names. */
export function wallClockToInstant(wallMs: number, zone: string): number {
  // Offsets a day before and after bracket any single transition near this wall time.
  const offsetBefore = zoneOffsetMs(wallMs - 24 * HOUR_MS, zone);
  const offsetAfter = zoneOffsetMs(wallMs + 24 * HOUR_MS, zone);
  const candidates = [...new Set([offsetBefore, offsetAfter])]
    .map((offset) => wallMs - offset)
    .filter((instant) => wallClockMs(instant, zone) === wallMs)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0];

  // No instant shows this wall time: it fell in a gap, so keep the offset in force before it.
  return wallMs - offsetBefore;
}

/** Converts a dataset timestamp to an ISO 8601 UTC string, or undefined when it is empty or invalid. */
export function localTimestampToIso(text: string, zone: string): string | undefined {
  const wall = parseLocalTimestamp(text);
  if (wall === undefined) return undefined;
  return new Date(wallClockToInstant(wall, zone)).toISOString();
}
