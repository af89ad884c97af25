/**
 * `npm run replay -- [--projection NAME] [--until TIME] [--schema NAME] [--lang es|en]`
 *
 * Rebuilds read models from the start of the event log. Without `--until`, the
 * new tables replace the live ones once caught up. With `--until`, statistics
 * (or the named projection) are built as of that business time into a
 * separate schema, and the live read models are not touched.
 * Exit codes: 0 done, 1 failed, 2 invalid arguments.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createSqlEventStore, eventStoreMigrations } from '../src/eventstore';
import { ConfigError, loadConfig } from '../src/infrastructure/config';
import { openDatabase } from '../src/infrastructure/database';
import { migrate } from '../src/infrastructure/migrations';
import {
  SchemaExistsError,
  allProjections,
  buildAsOf,
  projectionMigrations,
  rebuildAndSwap,
  type RebuildProgress,
  type RebuildResult,
} from '../projections';
import { schemaNamePattern } from '../projections/rebuild';
import type { SqlDatabase } from '../src/infrastructure/database';

type Lang = 'es' | 'en';

const texts = {
  es: {
    usage:
      'Uso: npm run replay -- [--projection NOMBRE] [--until FECHA] [--schema NOMBRE] [--lang es|en]\n' +
      `  --projection  reconstruye solo esa proyección (${allProjections.map((p) => p.name).join(', ')}); por defecto, todas\n` +
      '  --until       construye las estadísticas a esa fecha (ISO 8601 con zona, p. ej. 2024-01-01T00:00:00Z) en un esquema aparte\n' +
      '  --schema      esquema de destino de --until (por defecto stats_until_AAAAMMDDHHMM)\n' +
      '  --lang        idioma de los mensajes: es (por defecto) o en',
    unknownOption: (option: string) =>
      `La opción ${option} no existe. Opciones: --projection, --until, --schema, --lang, --help.`,
    missingValue: (option: string) => `Falta el valor de ${option}. Escríbalo a continuación, p. ej. ${option} VALOR.`,
    positional: (value: string) => `Argumento inesperado "${value}". Las opciones empiezan por --; vea --help.`,
    badProjection: (value: string) =>
      `La proyección "${value}" no existe. Use una de: ${allProjections.map((p) => p.name).join(', ')}.`,
    badUntil: (value: string) =>
      `La fecha --until "${value}" no es válida. Use ISO 8601 con zona horaria, por ejemplo 2024-01-01T00:00:00Z.`,
    badSchema: (value: string) =>
      `El esquema "${value}" no es válido. Use minúsculas, dígitos y _ (máximo 63 caracteres), empezando por letra o _.`,
    schemaNeedsUntil: 'La opción --schema solo se usa junto con --until. Añada --until FECHA o quite --schema.',
    badLang: (value: string) => `El idioma "${value}" no es válido. Use es o en.`,
    badConfig: (message: string) => `Configuración no válida: ${message}`,
    esdb: 'EVENTSTORE_URL está definido, pero la reconstrucción solo lee el almacén de eventos SQL. Quite EVENTSTORE_URL.',
    schemaExists: (schema: string) => `El esquema "${schema}" ya existe. Elija otro con --schema o bórrelo antes.`,
    starting: (names: string) => `Reconstruyendo ${names} desde el inicio del registro de eventos…`,
    startingAsOf: (names: string, until: string, schema: string) =>
      `Construyendo ${names} a fecha ${until} en el esquema "${schema}" (los modelos en vivo no se tocan)…`,
    bar: '{bar} {percentage}% | {value}/{total} eventos | {speed} eventos/s | tiempo restante {eta_formatted}',
    doneSwap: (r: RebuildResult, rate: number) =>
      `Listo: ${r.events} eventos en ${r.seconds.toFixed(1)} s (${rate} eventos/s). Las tablas nuevas reemplazan a las del esquema "${r.schema}".`,
    doneAsOf: (r: RebuildResult, rate: number) =>
      `Listo: ${r.events} eventos en ${r.seconds.toFixed(1)} s (${rate} eventos/s). Consulte el esquema "${r.schema}" (tabla order_stats; snapshot_info dice la fecha).`,
    failed: (message: string) => `La reconstrucción falló: ${message}. Las tablas en vivo no han cambiado.`,
  },
  en: {
    usage:
      'Usage: npm run replay -- [--projection NAME] [--until TIME] [--schema NAME] [--lang es|en]\n' +
      `  --projection  rebuild only this projection (${allProjections.map((p) => p.name).join(', ')}); all by default\n` +
      '  --until       build statistics as of this time (ISO 8601 with offset, e.g. 2024-01-01T00:00:00Z) into a separate schema\n' +
      '  --schema      target schema for --until (default stats_until_YYYYMMDDHHMM)\n' +
      '  --lang        language of the messages: es (default) or en',
    unknownOption: (option: string) => `Option ${option} does not exist. Options: --projection, --until, --schema, --lang, --help.`,
    missingValue: (option: string) => `${option} needs a value. Write it after the option, e.g. ${option} VALUE.`,
    positional: (value: string) => `Unexpected argument "${value}". Options start with --; see --help.`,
    badProjection: (value: string) =>
      `Projection "${value}" does not exist. Use one of: ${allProjections.map((p) => p.name).join(', ')}.`,
    badUntil: (value: string) => `--until "${value}" is not a valid time. Use ISO 8601 with an offset, e.g. 2024-01-01T00:00:00Z.`,
    badSchema: (value: string) =>
      `Schema "${value}" is not valid. Use lower-case letters, digits and _ (at most 63), starting with a letter or _.`,
    schemaNeedsUntil: '--schema is only used with --until. Add --until TIME or drop --schema.',
    badLang: (value: string) => `Language "${value}" is not valid. Use es or en.`,
    badConfig: (message: string) => `Invalid configuration: ${message}`,
    esdb: 'EVENTSTORE_URL is set, but the rebuild reads only the SQL event store. Unset EVENTSTORE_URL.',
    schemaExists: (schema: string) => `Schema "${schema}" already exists. Choose another with --schema or drop it first.`,
    starting: (names: string) => `Rebuilding ${names} from the start of the event log…`,
    startingAsOf: (names: string, until: string, schema: string) =>
      `Building ${names} as of ${until} into schema "${schema}" (live read models are not touched)…`,
    bar: '{bar} {percentage}% | {value}/{total} events | {speed} events/s | time left {eta_formatted}',
    doneSwap: (r: RebuildResult, rate: number) =>
      `Done: ${r.events} events in ${r.seconds.toFixed(1)} s (${rate} events/s). The new tables replaced those in schema "${r.schema}".`,
    doneAsOf: (r: RebuildResult, rate: number) =>
      `Done: ${r.events} events in ${r.seconds.toFixed(1)} s (${rate} events/s). Query schema "${r.schema}" (table order_stats; snapshot_info gives the time).`,
    failed: (message: string) => `The rebuild failed: ${message}. The live tables are unchanged.`,
  },
};

class UsageError extends Error {}

interface ReplayArgs {
  lang: Lang;
  projections: typeof allProjections;
  until?: string;
  schema?: string;
  help: boolean;
}

/** Detects the language before anything else, so that every later error uses it. */
function detectLang(argv: readonly string[]): Lang {
  const index = argv.findIndex((arg) => arg === '--lang' || arg.startsWith('--lang='));
  if (index < 0) return 'es';
  const value = argv[index].includes('=') ? argv[index].split('=')[1] : argv[index + 1];
  return value === 'en' ? 'en' : 'es';
}

/** Turns a node:util parseArgs error into a message in the user's language. */
function describeParseError(error: Error & { code?: string }, lang: Lang): string {
  const t = texts[lang];
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  const option = quoted.split(' ')[0];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return t.unknownOption(option);
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return t.missingValue(option);
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return t.positional(quoted);
  return t.unknownOption(option || error.message);
}

function parseReplayArgs(argv: string[], lang: Lang): ReplayArgs {
  const t = texts[lang];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        projection: { type: 'string' },
        until: { type: 'string' },
        schema: { type: 'string' },
        lang: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }, lang));
  }
  const langValue = values.lang as string | undefined;
  if (langValue !== undefined && langValue !== 'es' && langValue !== 'en') throw new UsageError(t.badLang(langValue));

  const projectionName = values.projection as string | undefined;
  const projections =
    projectionName === undefined
      ? allProjections
      : allProjections.filter((projection) => projection.name === projectionName);
  if (projections.length === 0) throw new UsageError(t.badProjection(projectionName as string));

  const until = values.until as string | undefined;
  if (until !== undefined && (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(until) || Number.isNaN(Date.parse(until)))) {
    throw new UsageError(t.badUntil(until));
  }
  const schema = values.schema as string | undefined;
  if (schema !== undefined && until === undefined) throw new UsageError(t.schemaNeedsUntil);
  if (schema !== undefined && !schemaNamePattern.test(schema)) throw new UsageError(t.badSchema(schema));

  return {
    lang,
    // An as-of build is for analysts' statistics unless a projection is named.
    projections: until !== undefined && projectionName === undefined ? allProjections.filter((p) => p.name === 'statistics') : projections,
    until,
    schema,
    help: values.help === true,
  };
}

function defaultAsOfSchema(until: string): string {
  const stamp = new Date(until).toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `stats_until_${stamp}`;
}

/**
 * Counts the events to replay, for the progress bar's total and time estimate.
 * NOTE: reads the SQL event store's `events` table directly, because the
 * EventStore port has no count; the figure only drives the progress display.
 */
async function countEvents(db: SqlDatabase): Promise<number> {
  const result = await db.query<{ total: string }>('SELECT count(*) AS total FROM events');
  return Number(result.rows[0].total);
}

function progressBar(lang: Lang, total: number) {
  const bar = new cliProgress.SingleBar(
    { format: texts[lang].bar, hideCursor: true, etaBuffer: 50, fps: 5, noTTYOutput: true, notTTYSchedule: 2_000 },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(total, 0, { speed: 0 });
  return {
    update(progress: RebuildProgress) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      // Events may arrive during the rebuild, so the total grows with them.
      if (progress.events > bar.getTotal()) bar.setTotal(progress.events);
      bar.update(progress.events, { speed: Math.round(progress.events / seconds) });
    },
    stop() {
      bar.stop();
    },
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const lang = detectLang(argv);
  const t = texts[lang];
  let args: ReplayArgs;
  try {
    args = parseReplayArgs(argv, lang);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (args.help) {
    console.log(t.usage);
    return 0;
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(t.badConfig(error.message));
      return 2;
    }
    throw error;
  }
  if (config.EVENTSTORE_URL) {
    console.error(t.esdb);
    return 2;
  }

  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const store = createSqlEventStore(db);
  const names = args.projections.map((projection) => projection.name).join(', ');
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    await migrate(db, [...eventStoreMigrations, ...projectionMigrations]);
    const total = await countEvents(db);
    const schema = args.until ? (args.schema ?? defaultAsOfSchema(args.until)) : undefined;
    console.log(args.until ? t.startingAsOf(names, args.until, schema as string) : t.starting(names));
    bar = progressBar(lang, total);
    const common = { db, store, projections: args.projections, batchSize: 2_000, onProgress: bar.update };
    const result =
      args.until && schema ? await buildAsOf({ ...common, schema, until: args.until }) : await rebuildAndSwap(common);
    bar.stop();
    const rate = Math.round(result.events / Math.max(result.seconds, 0.001));
    console.log(args.until ? t.doneAsOf(result, rate) : t.doneSwap(result, rate));
    return 0;
  } catch (error) {
    bar?.stop();
    if (error instanceof SchemaExistsError) {
      console.error(t.schemaExists(error.schema));
      return 2;
    }
    console.error(t.failed((error as Error).message));
    return 1;
  } finally {
    await store.close();
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
