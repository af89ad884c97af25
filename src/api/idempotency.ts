import type { Request, RequestHandler, Response } from 'express';
import type { SqlExecutor } from '../infrastructure/database';
import { AppError } from '../infrastructure/errors';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { hashBody, type IdempotencyStore, type StoredResponse } from '../application/idempotency/idempotency-store';

const log = componentLogger('idempotency');

const keyPattern = /^[\x21-\x7e]{1,255}$/;
const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Response headers a replay repeats. */
const replayedHeaders = ['content-type', 'etag', 'location', 'x-event-position', 'retry-after', 'content-language', 'vary'];

/**
 * The claim of one request on its Idempotency-Key. A command stores its
 * response through `storeWithin` in the transaction that appends its events;
 * any other response (an error, say) is stored just before it is sent.
 */
export class IdempotencySession {
  private stored: StoredResponse | undefined;
  private pendingInTransaction: StoredResponse | undefined;

  constructor(
    readonly key: string,
    private readonly store: IdempotencyStore,
  ) {}

  /** Stores `response` in `tx`; call `committed()` once that transaction committed. */
  async storeWithin(tx: SqlExecutor, response: StoredResponse): Promise<void> {
    await this.store.complete(tx, this.key, response);
    this.pendingInTransaction = response;
  }

  committed(): void {
    this.stored = this.pendingInTransaction;
  }

  /** Stores the response about to be sent unless the same one already committed; a 5xx releases the key instead. */
  async finish(response: StoredResponse, executor: SqlExecutor): Promise<void> {
    if (response.status >= 500) {
      await this.store.release(this.key);
      return;
    }
    if (this.stored && sameResponse(this.stored, response)) return;
    await this.store.complete(executor, this.key, response);
  }
}

function sameResponse(a: StoredResponse, b: StoredResponse): boolean {
  const sortedHeaders = (headers: Record<string, string>) =>
    JSON.stringify(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]).sort());
  return a.status === b.status && a.body === b.body && sortedHeaders(a.headers) === sortedHeaders(b.headers);
}

export function idempotencySessionOf(res: Response): IdempotencySession | undefined {
  return res.locals.idempotency as IdempotencySession | undefined;
}

/**
 * Idempotency-Key handling for POST, PUT, PATCH and DELETE: validates the key,
 * claims it, replays a stored response with `Idempotent-Replayed: true`, and
 * rejects the key when it comes with a different method, path or body.
 */
export function idempotencyMiddleware(store: IdempotencyStore, db: SqlExecutor): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined || !unsafeMethods.has(req.method)) {
      next();
      return;
    }
    if (!keyPattern.test(key)) throw new AppError('IDEMPOTENCY_KEY_INVALID', 400);

    const claim = await store.claim(key, { method: req.method, path: req.originalUrl, bodyHash: hashBody(req.body) });
    if (claim.kind === 'mismatch') throw new AppError('IDEMPOTENCY_KEY_REUSED', 422);
    if (claim.kind === 'in_progress') throw new AppError('IDEMPOTENCY_KEY_IN_PROGRESS', 409, {}, { 'Retry-After': '1' });
    if (claim.kind === 'replay') {
      replay(res, claim.response);
      return;
    }

    const session = new IdempotencySession(key, store);
    res.locals.idempotency = session;
    storeBeforeSending(req, res, session, db);
    next();
  };
}

function replay(res: Response, response: StoredResponse): void {
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('Idempotent-Replayed', 'true');
  res.status(response.status).send(Buffer.from(response.body, 'utf8'));
}

// Wraps res.send so the response is stored before the client sees it; a repeat can then always replay it.
function storeBeforeSending(req: Request, res: Response, session: IdempotencySession, db: SqlExecutor): void {
  const originalSend = res.send.bind(res);
  let intercepted = false;
  res.send = ((body?: unknown) => {
    if (intercepted) return originalSend(body);
    intercepted = true;
    const response: StoredResponse = { status: res.statusCode, headers: headersToReplay(res), body: bodyText(body) };
    session
      .finish(response, db)
      .catch((error: unknown) => log.error('idempotency record not stored', { method: req.method, path: req.path, ...errorFields(error) }))
      .finally(() => originalSend(body));
    return res;
  }) as Response['send'];
}

function headersToReplay(res: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of replayedHeaders) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return JSON.stringify(body);
}
