import fs from 'node:fs';
import { Pool, type PoolClient, type QueryConfig } from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { componentLogger } from './logger';

const log = componentLogger('database');

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Prepares the statement once per PostgreSQL connection under this name,
   * which saves parsing and planning on hot queries. The same name must
   * always go with the same SQL. PGlite ignores it.
   */
  name?: string;
}

/** Something that runs SQL: the database itself, one transaction, or one pinned session. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>>;
}

export type DatabaseKind = 'postgres' | 'pglite';

/**
 * One interface over a `pg` pool and an embedded PGlite instance, so the
 * event store, read models, idempotency keys and inbox run the same SQL on both.
 */
export interface SqlDatabase extends SqlExecutor {
  readonly kind: DatabaseKind;
  /** A short description for logs, without credentials. */
  readonly description: string;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs `work` on one dedicated connection, for session-level advisory locks. */
  withSession<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T>;
  /** Calls `handler` on each NOTIFY of `channel`; resolves to a function that stops listening. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Removes the password from a connection URL before it is logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  readonly description: string;
  private listenClient: PoolClient | undefined;
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();

  constructor(
    readonly pool: Pool,
    url: string,
  ) {
    this.description = `PostgreSQL ${redactUrl(url)}`;
    pool.on('error', (error) => log.error('idle PostgreSQL connection failed', { error: error.message }));
  }

  async query<R>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>> {
    const result = await this.pool.query(queryConfig(sql, params, options));
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // See withSession: a dead socket must fail the transaction, not crash the process.
    let broken = false;
    const onError = (error: Error) => {
      broken = true;
      log.warn('PostgreSQL connection failed during a transaction', { error: error.message });
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(wrapClient(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async withSession<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out pg client whose socket dies emits 'error'; without a listener
    // that would crash the process. The pending query is rejected anyway.
    const onError = (error: Error) => log.warn('dedicated PostgreSQL session failed', { error: error.message });
    client.on('error', onError);
    let broken = false;
    try {
      return await work(wrapClient(client));
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      client.removeListener('error', onError);
      // A session that failed may still hold advisory locks: destroy it rather than reuse it.
      client.release(broken);
    }
  }

  async listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    if (!this.listenClient) {
      this.listenClient = await this.pool.connect();
      this.listenClient.on('notification', (message) => {
        for (const listener of this.listeners.get(message.channel) ?? []) listener(message.payload ?? '');
      });
      this.listenClient.on('error', (error) => {
        log.error('LISTEN connection failed', { error: error.message });
        this.listenClient?.release(true);
        this.listenClient = undefined;
      });
    }
    let handlers = this.listeners.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.listeners.set(channel, handlers);
      await this.listenClient.query(`LISTEN ${quoteIdentifier(channel)}`);
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.listenClient?.release(true);
    this.listenClient = undefined;
    await this.pool.end();
  }
}

function wrapClient(client: PoolClient): SqlExecutor {
  return {
    async query<R>(sql: string, params?: readonly unknown[], options?: QueryOptions) {
      const result = await client.query(queryConfig(sql, params, options));
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
  };
}

function queryConfig(sql: string, params: readonly unknown[] | undefined, options: QueryOptions | undefined): QueryConfig {
  return { text: sql, values: params as unknown[] | undefined, ...(options?.name ? { name: options.name } : {}) };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

class PgliteDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;

  constructor(
    private readonly db: PGlite,
    readonly description: string,
  ) {}

  async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const result = await this.db.query<R>(sql, params as unknown[] | undefined);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      work({
        async query<R>(sql: string, params?: readonly unknown[]) {
          const result = await tx.query<R>(sql, params as unknown[] | undefined);
          return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
        },
      }),
    );
  }

  // PGlite has a single session, so advisory locks taken here are always granted.
  async withSession<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T> {
    return work(this);
  }

  async listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>> {
    const unsubscribe = await this.db.listen(channel, handler);
    return async () => unsubscribe();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
}

/** Opens PostgreSQL when a URL is given, otherwise the embedded PGlite database in `dataDir` (`memory://` keeps it in memory). */
export async function openDatabase(options: DatabaseOptions): Promise<SqlDatabase> {
  if (options.databaseUrl) {
    const pool = new Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 20, connectionTimeoutMillis: 5_000 });
    return new PostgresDatabase(pool, options.databaseUrl);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (options.dataDir.startsWith('memory://')) {
    return new PgliteDatabase(await PGlite.create(), 'PGlite in memory');
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  return new PgliteDatabase(db, `PGlite in ${options.dataDir}`);
}
