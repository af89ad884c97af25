import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isValidTimeZone } from './time-zone';

export type Lang = 'es' | 'en';

/** A command-line argument that is missing or invalid: the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ImportArgs {
  dir: string;
  timeZone: string;
  limit?: number;
  json: boolean;
  lang: Lang;
  concurrency: number;
}

export const DEFAULT_DATASET_TIME_ZONE = 'America/Sao_Paulo';

/** Texts of argument errors, Spanish first; `{value}` is the rejected value. */
const usageTexts = {
  es: {
    unknownOption: (name: string) => `Opción desconocida ${name}. Opciones válidas: {options}.`,
    missingValue: (name: string) =>
      `Falta el valor de ${name}. Si el valor empieza por un guion, escríbalo así: ${name}=VALOR.`,
    missingDir: 'Falta --dir: indique la carpeta con los ficheros CSV de Olist, p. ej. --dir ./olist.',
    badZone: (value: string) =>
      `Zona horaria no válida: "${value}". Use un nombre IANA como America/Sao_Paulo o UTC.`,
    badInteger: (option: string, value: string, max: number) =>
      `Valor no válido para --${option}: "${value}". Use un entero entre 1 y ${max}.`,
    badLang: (value: string) => `Idioma no válido: "${value}". Use --lang es o --lang en.`,
    badFormat: (value: string, formats: string) => `Formato no válido: "${value}". Use --format con ${formats}.`,
    missingFile: (file: string) => `No se encuentra ${file}: --dir debe ser la carpeta con los ficheros CSV de Olist.`,
  },
  en: {
    unknownOption: (name: string) => `Unknown option ${name}. Valid options: {options}.`,
    missingValue: (name: string) => `Missing value for ${name}. If the value starts with a dash, write it as ${name}=VALUE.`,
    missingDir: 'Missing --dir: give the folder with the Olist CSV files, e.g. --dir ./olist.',
    badZone: (value: string) => `Invalid time zone "${value}". Use an IANA name such as America/Sao_Paulo or UTC.`,
    badInteger: (option: string, value: string, max: number) =>
      `Invalid value for --${option}: "${value}". Use an integer from 1 to ${max}.`,
    badLang: (value: string) => `Invalid language "${value}". Use --lang es or --lang en.`,
    badFormat: (value: string, formats: string) => `Invalid format "${value}". Use --format with ${formats}.`,
    missingFile: (file: string) => `${file} is missing: --dir must be the folder that holds the Olist CSV files.`,
  },
} as const;

export type UsageTexts = (typeof usageTexts)[Lang];

export function usageTextsFor(lang: Lang): UsageTexts {
  return usageTexts[lang];
}

/** Reads `--lang` before anything else, so that every later error speaks the requested language. */
export function detectLang(argv: readonly string[]): Lang {
  const index = argv.findIndex((arg) => arg === '--lang' || arg.startsWith('--lang='));
  if (index < 0) return 'es';
  const value = argv[index].includes('=') ? argv[index].split('=')[1] : argv[index + 1];
  return value === 'en' ? 'en' : 'es';
}

export function parseLang(value: string | undefined, texts: UsageTexts): Lang {
  if (value === undefined) return 'es';
  if (value === 'es' || value === 'en') return value;
  throw new UsageError(texts.badLang(value));
}

export function parseTimeZone(value: string, texts: UsageTexts): string {
  if (!isValidTimeZone(value)) throw new UsageError(texts.badZone(value));
  return value;
}

export function parsePositiveInteger(option: string, value: string, max: number, texts: UsageTexts): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max) throw new UsageError(texts.badInteger(option, value, max));
  return number;
}

/** Runs node's parseArgs and turns its errors into a UsageError naming the valid options. */
export function parseOptions(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  texts: UsageTexts,
): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const name = (/'([^' ]+)/.exec(message)?.[1] ?? message).replace(/ .*/, '');
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(texts.missingValue(name));
    const valid = Object.keys(options ?? {})
      .map((option) => `--${option}`)
      .join(', ');
    throw new UsageError(texts.unknownOption(name).replace('{options}', valid));
  }
}

/** Parses `npm run import:olist -- --dir DIR [--time-zone ZONE] [--limit N] [--json] [--lang es|en] [--concurrency N]`. */
export function parseImportArgs(argv: readonly string[]): ImportArgs {
  const texts = usageTextsFor(detectLang(argv));
  const values = parseOptions(
    argv,
    {
      dir: { type: 'string' },
      'time-zone': { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      lang: { type: 'string' },
      concurrency: { type: 'string' },
    },
    texts,
  );

  const dir = values.dir as string | undefined;
  if (!dir) throw new UsageError(texts.missingDir);
  return {
    dir,
    timeZone: parseTimeZone((values['time-zone'] as string | undefined) ?? DEFAULT_DATASET_TIME_ZONE, texts),
    ...(values.limit !== undefined ? { limit: parsePositiveInteger('limit', values.limit as string, 100_000_000, texts) } : {}),
    json: values.json === true,
    lang: parseLang(values.lang as string | undefined, texts),
    concurrency: values.concurrency !== undefined ? parsePositiveInteger('concurrency', values.concurrency as string, 64, texts) : 8,
  };
}

/**
 * Reads a command line the way every analyst command does: `--help` or `-h`
 * prints `help` in the requested language and gives exit code 0, a
 * UsageError prints its message and gives exit code 2, and otherwise returns
 * the parsed arguments.
 */
export function readCommandLine<T>(
  argv: readonly string[],
  help: Record<Lang, string>,
  parse: (argv: readonly string[]) => T,
): { args: T } | { exitCode: number } {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help[detectLang(argv)]);
    return { exitCode: 0 };
  }
  try {
    return { args: parse(argv) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return { exitCode: 2 };
  }
}
