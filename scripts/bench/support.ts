import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A database a benchmark creates for itself on the local PostgreSQL, or on the server of BENCH_DATABASE_URL. */
export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a database with a unique name starting with `prefix`; `drop()` removes it, closing what is still connected. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
