/**
 * `npm run stats -- --from D --to D [--group-by day|week|month] [--time-zone ZONE]
 *   [--currency CODE] [--format table|csv|json] [--lang es|en]`
 *
 * Prints the figures of GET /api/orders/stats for the configured database
 * (DATABASE_URL, else the embedded PGlite in DATA_DIR), after bringing the
 * read models up to the event log's head. Exit status: 0 on success, 1 when
 * the query failed, 2 for invalid arguments.
 */
import { ConfigError, loadConfig } from '../../src/infrastructure/config';
import { logger } from '../../src/infrastructure/logger';
import { detectLang, readCommandLine } from '../../src/import/olist/cli-args';
import { openCommandRuntime } from '../../src/import/olist/runtime';
import { catchUpProjections } from '../../src/reports/catch-up';
import { parseStatsArgs } from '../../src/reports/stats-args';
import { formatStats } from '../../src/reports/stats-format';
import { queryStatistics } from '../../projections/statistics/queries';

// How long the command waits for the read models to reach the log's head before it reports what they have.
const CATCH_UP_TIMEOUT_MS = 10 * 60_000;

const texts = {
  es: {
    stale: 'Aviso: las proyecciones no alcanzaron el final del registro de eventos a tiempo; las cifras pueden no incluir los últimos pedidos.',
    failed: 'No se pudieron calcular las estadísticas',
  },
  en: {
    stale: 'Warning: the projections did not reach the end of the event log in time; the figures may miss the latest orders.',
    failed: 'Could not compute the statistics',
  },
} as const;

const helpTexts = {
  es: `Uso: npm run stats -- --from FECHA --to FECHA [opciones]

Imprime las estadísticas de los pedidos creados entre --from (incluida) y --to (excluida),
las mismas cifras que GET /api/orders/stats.

  --from FECHA          inicio, ISO 8601 (p. ej. 2017-01-01)
  --to FECHA            fin, ISO 8601, excluido
  --group-by PERIODO    day, week o month (por defecto month)
  --time-zone ZONA      zona IANA de los periodos y de las fechas sin zona (por defecto UTC)
  --currency CÓDIGO     moneda ISO 4217 (por defecto DEFAULT_CURRENCY; BRL para Olist)
  --format FORMATO      table, csv o json (por defecto table)
  --lang es|en          idioma de la salida (por defecto es)
  --help                muestra esta ayuda
`,
  en: `Usage: npm run stats -- --from DATE --to DATE [options]

Prints the statistics of the orders created from --from (inclusive) to --to (exclusive),
the same figures as GET /api/orders/stats.

  --from DATE           start, ISO 8601 (e.g. 2017-01-01)
  --to DATE             end, ISO 8601, exclusive
  --group-by PERIOD     day, week or month (default month)
  --time-zone ZONE      IANA zone of the periods and of zone-less dates (default UTC)
  --currency CODE       ISO 4217 currency (default DEFAULT_CURRENCY; BRL for Olist)
  --format FORMAT       table, csv or json (default table)
  --lang es|en          language of the output (default es)
  --help                print this help
`,
} as const;

async function main(argv: string[]): Promise<number> {
  const lang = detectLang(argv);
  const commandLine = readCommandLine(argv, helpTexts, parseStatsArgs);
  if ('exitCode' in commandLine) return commandLine.exitCode;
  const args = commandLine.args;

  // Only warnings and errors are logged (to standard error) unless LOG_LEVEL requests more, so standard output keeps just the figures.
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  const config = loadConfig();
  const runtime = await openCommandRuntime(config, { poolSize: 6 });
  try {
    const catchUp = await catchUpProjections(runtime.db, runtime.eventStore, { timeoutMs: CATCH_UP_TIMEOUT_MS });
    if (!catchUp.caughtUp) process.stderr.write(`${texts[lang].stale}\n`);

    const stats = await queryStatistics(runtime.db, {
      from: args.from,
      to: args.to,
      groupBy: args.groupBy,
      timeZone: args.timeZone,
      currency: args.currency ?? config.DEFAULT_CURRENCY,
    });
    process.stdout.write(`${formatStats(stats, args.format, args.lang)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${texts[lang].failed}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
