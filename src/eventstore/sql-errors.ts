import { EventStoreUnavailableError } from './port';

// Node socket errors and PostgreSQL SQLSTATEs that mean the server cannot be
// used right now: connection exceptions (class 08), shutdown (57P01-57P03),
// too many connections (53300).
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

// pg reports a lost or unobtainable connection with these messages and no code.
const unavailableMessages = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /connection is closed/i,
  /PGlite is closed/i,
];

/** A unique violation on (stream_id, revision): a concurrent append claimed the revision first. */
export function isRevisionTaken(error: unknown): boolean {
  return isUniqueViolationOf(error, 'events_pkey');
}

/** A unique violation on the event id: a concurrent append stored the same event first. */
export function isDuplicateEventId(error: unknown): boolean {
  return isUniqueViolationOf(error, 'events_event_id_key');
}

function isUniqueViolationOf(error: unknown, constraintName: string): boolean {
  if (sqlState(error) !== '23505') return false;
  const constraint = (error as { constraint?: unknown }).constraint;
  return constraint === constraintName || (error as Error).message.includes(constraintName);
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof EventStoreUnavailableError) return true;
  const code = sqlState(error);
  if (code && (unavailableCodes.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : String(error);
  return unavailableMessages.some((pattern) => pattern.test(message));
}

/** Turns a lost or refused database connection into `EventStoreUnavailableError`; other errors pass unchanged. */
export function toStoreError(error: unknown, operation: string): unknown {
  if (error instanceof EventStoreUnavailableError || !isUnavailable(error)) return error;
  return new EventStoreUnavailableError(`Event store unavailable during ${operation}`, error);
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
