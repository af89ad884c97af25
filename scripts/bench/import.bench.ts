/**
 * Olist history import on PostgreSQL: every order of the sample goes through
 * the command service (ImportarPedidoHistorico) into a fresh database, then
 * every read model is rebuilt from the imported log into fresh tables and
 * swapped in. Prints one JSON line per measure:
 * `import.olist` (orders/s, with eventsPerSec) and `import.olist.rebuild` (seconds).
 *
 * Environment: OLIST_DATA_DIR (folder with the CSV files, default
 * ../shared/data/olist), BENCH_DATABASE_URL (server to use, default the local
 * one), BENCH_CONCURRENCY (orders in flight, default 8), BENCH_LIMIT (orders,
 * default all).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createBenchDatabase, round1 } from './support';
import { loadConfig } from '../../src/infrastructure/config';
import { logger } from '../../src/infrastructure/logger';
import { migrate } from '../../src/infrastructure/migrations';
import { importOlistDataset } from '../../src/import/olist/importer';
import { openCommandRuntime } from '../../src/import/olist/runtime';
import { rebuildAndSwap } from '../../projections/rebuild';
import { allProjections, projectionMigrations } from '../../projections/worker';

function datasetDir(): string {
  const candidates = [process.env.OLIST_DATA_DIR, path.resolve(process.cwd(), '../shared/data/olist'), '/work/shared/data/olist'];
  const found = candidates.find((dir) => dir !== undefined && fs.existsSync(path.join(dir, 'olist_orders_dataset.csv')));
  if (!found) throw new Error('No Olist dataset found: set OLIST_DATA_DIR to the folder with the Olist CSV files');
  return found;
}



export async function run(): Promise<void> {
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  const dir = datasetDir();
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
  const limit = process.env.BENCH_LIMIT ? Number(process.env.BENCH_LIMIT) : undefined;

  const database = await createBenchDatabase('ordersvc_bench_import');

  const runtime = await openCommandRuntime(loadConfig({ DATABASE_URL: database.url }), { poolSize: concurrency + 2 });
  try {
    // 1. The import, with the read models not running (as on a fresh database before the service starts).
    const report = await importOlistDataset({ dir, timeZone: 'America/Sao_Paulo', limit, concurrency, target: runtime.commands });
    if (report.failed.length > 0) throw new Error(`${report.failed.length} orders failed to import, e.g. ${report.failed[0].olistOrderId}: ${report.failed[0].code}`);
    const importSeconds = report.durationMs / 1000;
    console.log(
      JSON.stringify({
        bench: 'import.olist',
        value: round1(report.imported / importSeconds),
        unit: 'orders/s',
        ordersPerSec: round1(report.imported / importSeconds),
        eventsPerSec: round1(report.eventsAppended / importSeconds),
        orders: report.imported,
        events: report.eventsAppended,
        flagged: report.flagged,
        seconds: round1(importSeconds),
        concurrency,
      }),
    );

    // 2. Every read model rebuilt from the imported log.
    await migrate(runtime.db, projectionMigrations);
    const rebuild = await rebuildAndSwap({ db: runtime.db, store: runtime.eventStore, projections: allProjections });
    console.log(
      JSON.stringify({
        bench: 'import.olist.rebuild',
        value: round1(rebuild.seconds),
        unit: 's',
        events: rebuild.events,
        eventsPerSec: round1(rebuild.events / rebuild.seconds),
        projections: allProjections.map((projection) => projection.name),
      }),
    );
  } finally {
    await runtime.close();
    await database.drop();
  }
}
