import type { SqlDatabase } from './database';
import { componentLogger } from './logger';

const log = componentLogger('migrations');

/** One versioned schema change. Ids are unique across the service, e.g. `eventstore/001-events`. */
export interface Migration {
  id: string;
  sql: string;
}

// Arbitrary constant shared by every instance, so that two starting at once apply migrations one after the other.
const MIGRATION_LOCK_KEY = 7_302_114_001;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in the given
 * order, each in its own transaction. A session-level advisory lock makes
 * instances that start together wait for each other instead of racing.
 */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const migration of migrations) {
    if (ids.has(migration.id)) throw new Error(`Duplicate migration id ${migration.id}`);
    ids.add(migration.id);
  }
  return db.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await session.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const applied = new Set(
        (await session.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((row) => row.id),
      );
      const newlyApplied: string[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        await session.query('BEGIN');
        try {
          for (const statement of splitStatements(migration.sql)) await session.query(statement);
          await session.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
          await session.query('COMMIT');
        } catch (error) {
          await session.query('ROLLBACK');
          throw new Error(`Migration ${migration.id} failed: ${(error as Error).message}`);
        }
        log.info('migration applied', { migrationId: migration.id });
        newlyApplied.push(migration.id);
      }
      return newlyApplied;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}

/**
 * Splits a migration into statements at semicolons that end a line, keeping
 * dollar-quoted function bodies (`$$ … $$`) whole.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inDollarQuote = false;
  for (const line of sql.split('\n')) {
    const dollarQuotes = line.match(/\$\$/g)?.length ?? 0;
    if (dollarQuotes % 2 === 1) inDollarQuote = !inDollarQuote;
    current += `${line}\n`;
    if (!inDollarQuote && line.trimEnd().endsWith(';')) {
      if (current.trim()) statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
