/**
 * `npm run import:olist -- --dir DIR [--time-zone ZONE] [--limit N] [--json] [--lang es|en] [--concurrency N]`
 *
 * Replays the Olist dataset through the service's command handling on the
 * configured database (DATABASE_URL, else the embedded PGlite in DATA_DIR).
 * Exit status: 0 when every order is stored, 1 when some order failed or the
 * import could not run, 2 for invalid arguments.
 */
import { SingleBar } from 'cli-progress';
import { ConfigError, loadConfig } from '../../src/infrastructure/config';
import { parseImportArgs, detectLang, readCommandLine, usageTextsFor, type ImportArgs, type Lang } from '../../src/import/olist/cli-args';
import { logger } from '../../src/infrastructure/logger';
import { DatasetError, locateDataset } from '../../src/import/olist/dataset';
import { importOlistDataset, type ImportReport } from '../../src/import/olist/importer';
import { formatImportReport } from '../../src/import/olist/report-text';
import { openCommandRuntime } from '../../src/import/olist/runtime';

const progressTexts = {
  es: { orders: 'pedidos', perSecond: 'pedidos/s', failed: 'La importación falló' },
  en: { orders: 'orders', perSecond: 'orders/s', failed: 'The import failed' },
} as const;

const helpTexts = {
  es: `Uso: npm run import:olist -- --dir CARPETA [opciones]

Reproduce los pedidos del conjunto de datos Olist a través del manejo de comandos del servicio,
en DATABASE_URL o, si no está definida, en la base embebida de DATA_DIR.

  --dir CARPETA         carpeta con los ficheros CSV de Olist (obligatoria)
  --time-zone ZONA      zona IANA de las fechas sin zona del conjunto (por defecto America/Sao_Paulo)
  --limit N             importa solo los N primeros pedidos
  --concurrency N       pedidos que se importan a la vez
  --json                informe final en JSON
  --lang es|en          idioma de la salida (por defecto es)
  --help                muestra esta ayuda
`,
  en: `Usage: npm run import:olist -- --dir DIR [options]

Replays the Olist dataset's orders through the service's command handling,
into DATABASE_URL or, when it is not set, the embedded database in DATA_DIR.

  --dir DIR             folder with the Olist CSV files (required)
  --time-zone ZONE      IANA zone of the dataset's zone-less timestamps (default America/Sao_Paulo)
  --limit N             import only the first N orders
  --concurrency N       orders imported at once
  --json                final report as JSON
  --lang es|en          language of the output (default es)
  --help                print this help
`,
} as const;

async function main(argv: string[]): Promise<number> {
  const lang = detectLang(argv);
  const commandLine = readCommandLine(argv, helpTexts, parseImportArgs);
  if ('exitCode' in commandLine) return commandLine.exitCode;
  const args = commandLine.args;

  try {
    locateDataset(args.dir);
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    process.stderr.write(`${usageTextsFor(args.lang).missingFile(error.file)}\n`);
    return 2;
  }

  // Only warnings and errors are logged (to standard error) unless LOG_LEVEL requests more, so standard output keeps just the report.
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  const config = loadConfig();
  const runtime = await openCommandRuntime(config, { poolSize: args.concurrency + 2 });
  const bar = createProgressBar(args.lang);
  try {
    const report = await importOlistDataset({
      dir: args.dir,
      timeZone: args.timeZone,
      limit: args.limit,
      concurrency: args.concurrency,
      target: runtime.commands,
      onProgress: bar.update,
    });
    bar.stop();
    printReport(report, args);
    return report.failed.length > 0 ? 1 : 0;
  } catch (error) {
    bar.stop();
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${progressTexts[lang].failed}: ${message}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
}

/** Creates a progress bar on standard error with orders per second; it draws only on a terminal. */
function createProgressBar(lang: Lang): { update: (progress: { done: number; total: number }) => void; stop: () => void } {
  const texts = progressTexts[lang];
  const bar = new SingleBar({
    format: `{bar} {percentage}% | {value}/{total} ${texts.orders} | {rate} ${texts.perSecond} | ETA {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 200,
  });
  const started = Date.now();
  let running = false;
  return {
    update({ done, total }) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const rate = Math.round(done / seconds);
      if (!running) {
        bar.start(total, done, { rate });
        running = true;
      } else {
        bar.update(done, { rate });
      }
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

function printReport(report: ImportReport, args: ImportArgs): void {
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatImportReport(report, args.lang)}\n`);
  }
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
