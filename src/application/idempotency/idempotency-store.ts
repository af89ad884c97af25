import { createHash } from 'node:crypto';
import type { SqlDatabase, SqlExecutor } from '../../infrastructure/database';
import type { Migration } from '../../infrastructure/migrations';

export const idempotencyMigrations: Migration[] = [
  {
    id: 'application/001-idempotency-keys',
    sql: `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key text PRIMARY KEY,
  method text NOT NULL,
  path text NOT NULL,
  body_hash text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'completed')),
  response_status integer,
  response_headers jsonb,
  response_body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at);
`,
  },
];

/** What identifies "the same request" for one key. */
export interface RequestFingerprint {
  method: string;
  path: string;
  bodyHash: string;
}

/** A response as stored for replay. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export interface IdempotencyStoreOptions {
  /** How long a completed response is kept (at least 24 h by the API contract). */
  ttlMs: number;
  /** After this long a 'running' claim is considered abandoned (its process died) and may be taken over. */
  lockMs?: number;
  /** How long a repeat waits for the first request to finish before answering "in progress". */
  waitMs?: number;
  pollMs?: number;
}

export function hashBody(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
}

interface KeyRow {
  method: string;
  path: string;
  body_hash: string;
  status: 'running' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | string | null;
  response_body: string | null;
}

/**
 * Idempotency keys in PostgreSQL. A request first claims its key with a
 * 'running' row (committed at once, so a concurrent repeat sees it); the
 * response is then stored on that row, in the transaction that appends the
 * command's events where there is one.
 */
export class IdempotencyStore {
  private readonly lockMs: number;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly db: SqlDatabase,
    private readonly options: IdempotencyStoreOptions,
  ) {
    this.lockMs = options.lockMs ?? 60_000;
    this.waitMs = options.waitMs ?? 10_000;
    this.pollMs = options.pollMs ?? 50;
  }

  /**
   * Claims `key` for this request, or tells what to do instead: replay the
   * stored response, reject a different request under the same key, or
   * report that the first request is still running after waiting `waitMs`.
   */
  async claim(key: string, fingerprint: RequestFingerprint): Promise<ClaimResult> {
    if (await this.tryInsert(key, fingerprint)) return { kind: 'claimed' };

    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const row = await this.find(key);
      if (row && !sameRequest(row, fingerprint)) return { kind: 'mismatch' };
      if (row?.status === 'completed') return { kind: 'replay', response: toStoredResponse(row) };
      if (Date.now() >= deadline) return { kind: 'in_progress' };
      if (row) await sleep(this.pollMs);
      // The first request released its claim, or its process died and the claim's lock expired.
      if (await this.tryInsert(key, fingerprint)) return { kind: 'claimed' };
    }
  }

  /** Stores the response of a claimed key; pass the transaction that appends the command's events. */
  async complete(executor: SqlExecutor, key: string, response: StoredResponse): Promise<void> {
    await executor.query(
      `UPDATE idempotency_keys
          SET status = 'completed', response_status = $2, response_headers = $3::jsonb, response_body = $4
        WHERE key = $1`,
      [key, response.status, JSON.stringify(response.headers), response.body],
    );
  }

  /**
   * Gives a claimed key up (the request failed in a way worth retrying), so a
   * repeat executes again. Only the request holding the claim calls it; it
   * also drops a response that request stored before failing afterwards.
   */
  async release(key: string): Promise<void> {
    await this.db.query('DELETE FROM idempotency_keys WHERE key = $1', [key]);
  }

  /** Deletes expired keys and returns how many went. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.query('DELETE FROM idempotency_keys WHERE expires_at < now()');
    return result.rowCount;
  }

  // Inserts a 'running' row, or takes over an expired key or an abandoned claim of the same request.
  private async tryInsert(key: string, fingerprint: RequestFingerprint): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO idempotency_keys (key, method, path, body_hash, status, locked_until, expires_at)
       VALUES ($1, $2, $3, $4, 'running', now() + make_interval(secs => $5), now() + make_interval(secs => $6))
       ON CONFLICT (key) DO UPDATE
          SET method = EXCLUDED.method, path = EXCLUDED.path, body_hash = EXCLUDED.body_hash, status = 'running',
              response_status = NULL, response_headers = NULL, response_body = NULL, created_at = now(),
              locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at
        WHERE idempotency_keys.expires_at < now()
           OR (idempotency_keys.status = 'running' AND idempotency_keys.locked_until < now()
               AND idempotency_keys.method = EXCLUDED.method AND idempotency_keys.path = EXCLUDED.path
               AND idempotency_keys.body_hash = EXCLUDED.body_hash)
       RETURNING key`,
      [key, fingerprint.method, fingerprint.path, fingerprint.bodyHash, this.lockMs / 1000, this.options.ttlMs / 1000],
    );
    return result.rowCount > 0;
  }

  private async find(key: string): Promise<KeyRow | undefined> {
    const result = await this.db.query<KeyRow>(
      `SELECT method, path, body_hash, status, response_status, response_headers, response_body
         FROM idempotency_keys WHERE key = $1 AND expires_at >= now()`,
      [key],
    );
    return result.rows[0];
  }
}

function sameRequest(row: KeyRow, fingerprint: RequestFingerprint): boolean {
  return row.method === fingerprint.method && row.path === fingerprint.path && row.body_hash === fingerprint.bodyHash;
}

function toStoredResponse(row: KeyRow): StoredResponse {
  const headers = typeof row.response_headers === 'string' ? (JSON.parse(row.response_headers) as Record<string, string>) : row.response_headers;
  return { status: row.response_status ?? 500, headers: headers ?? {}, body: row.response_body ?? '' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
