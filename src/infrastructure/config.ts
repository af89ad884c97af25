import path from 'node:path';
import { z } from 'zod';
import { digitsOf, isSupportedCurrency } from '../pedido/money';

/**
 * Service configuration, read from environment variables. Every variable is
 * optional: with none set, the service runs on the embedded PGlite store with
 * in-process stand-ins for the other services.
 */
const durationPattern = /^(\d+)(ms|s|m|h)$/;

/** Parses "500ms", "30s", "30m" or "2h" into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * factor;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'a duration such as 500ms, 30s, 30m or 2h' });
        return z.NEVER;
      }
      return ms;
    });

const url = (protocols: string[]) =>
  z
    .string()
    .optional()
    .refine((value) => value === undefined || value === '' || protocols.some((p) => value.startsWith(`${p}://`)), {
      message: `a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    })
    .transform((value) => (value === '' ? undefined : value));

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((text) => /^\d+$/.test(text) && Number(text) >= min && Number(text) <= max, {
      message: `an integer from ${min} to ${max}`,
    })
    .transform(Number);

const currencyCode = z
  .string()
  .default('EUR')
  .refine((text) => isSupportedCurrency(text), { message: 'a supported ISO 4217 currency code such as EUR' });

/** One binding of the inbox queue: a topic exchange of another service and a routing key pattern. */
export interface InboxBinding {
  exchange: string;
  routingKey: string;
}

const defaultInboxBindings = [
  'paymentsvc.events:pago.PagoConfirmado',
  'paymentsvc.events:pago.PagoRechazado',
  'productsvc.events:producto.InventarioActualizado',
  'usersvc.events:cliente.ClienteActualizado',
].join(',');

/** Parses "exchange:routingKey,exchange:routingKey"; returns undefined when a pair is malformed. */
export function parseBindings(text: string): InboxBinding[] | undefined {
  const bindings: InboxBinding[] = [];
  for (const pair of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const separator = pair.indexOf(':');
    if (separator <= 0 || separator === pair.length - 1) return undefined;
    bindings.push({ exchange: pair.slice(0, separator), routingKey: pair.slice(separator + 1) });
  }
  return bindings;
}

const roleNames = ['api', 'projections', 'relay', 'inbox', 'saga'] as const;
export type Role = (typeof roleNames)[number];

export const configSchema = z.object({
  PORT: integer(3000, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  EVENTSTORE_URL: url(['esdb', 'esdb+discover']),
  RABBITMQ_URL: url(['amqp', 'amqps']),
  REDIS_URL: url(['redis', 'rediss']),
  PRODUCT_SERVICE_URL: url(['http', 'https']),
  PAYMENT_SERVICE_URL: url(['http', 'https']),
  USER_SERVICE_URL: url(['http', 'https']),
  CATALOG_FILE: z.string().optional(),
  PROMOTIONS_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  ROLES: z
    .string()
    .default(roleNames.join(','))
    .refine((text) => text.split(',').every((role) => (roleNames as readonly string[]).includes(role.trim())), {
      message: `a comma-separated list of ${roleNames.join(', ')}`,
    })
    .transform((text) => text.split(',').map((role) => role.trim() as Role)),
  DEFAULT_CURRENCY: currencyCode,
  SHIPPING_FLAT_RATE: z
    .string()
    .default('4.90')
    .refine((text) => /^\d{1,12}(\.\d{1,4})?$/.test(text), { message: 'a decimal amount such as 4.90' }),
  MAX_LINE_QUANTITY: integer(1000, 1, 1_000_000),
  BODY_LIMIT: z
    .string()
    .default('100kb')
    .refine((text) => /^\d+(b|kb|mb)$/i.test(text), { message: 'a size such as 100kb, 512b or 1mb' }),
  PAYMENT_TIMEOUT: duration('30m'),
  COMMAND_RETRIES: integer(5, 0, 50),
  READ_YOUR_WRITES_TIMEOUT: duration('5s'),
  IDEMPOTENCY_TTL: duration('24h'),
  EXTERNAL_CALL_TIMEOUT: duration('2s'),
  PAYMENT_STANDIN_DELAY: duration('200ms'),
  EVENTS_EXCHANGE: z.string().min(1).default('ordersvc.events'),
  RELAY_BATCH_SIZE: integer(1000, 1, 10_000),
  INBOX_QUEUE: z.string().min(1).default('ordersvc.inbox'),
  INBOX_BINDINGS: z
    .string()
    .default(defaultInboxBindings)
    .refine((text) => parseBindings(text) !== undefined, {
      message: 'a comma-separated list of exchange:routingKey pairs such as paymentsvc.events:pago.PagoConfirmado',
    })
    .transform((text) => parseBindings(text) as InboxBinding[]),
  INBOX_PREFETCH: integer(16, 1, 1000),
  INBOX_MAX_ATTEMPTS: integer(5, 1, 20),
  INBOX_RETRY_DELAY: duration('1s'),
});

export type Config = z.infer<typeof configSchema>;

/** Checks that need two variables: the flat shipping rate must fit the default currency's digits. */
function checkCombinations(config: Config, env: NodeJS.ProcessEnv): void {
  const decimals = config.SHIPPING_FLAT_RATE.split('.')[1]?.length ?? 0;
  const digits = digitsOf(config.DEFAULT_CURRENCY);
  if (decimals > digits) {
    throw new ConfigError(
      'SHIPPING_FLAT_RATE',
      env.SHIPPING_FLAT_RATE ?? config.SHIPPING_FLAT_RATE,
      `an amount with at most ${digits} decimals, as ${config.DEFAULT_CURRENCY} has`,
    );
  }
}

/** An invalid variable: its name, the value given and what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    readonly expected: string,
  ) {
    super(`Invalid configuration: ${variable}=${JSON.stringify(value ?? '')} is not valid; expected ${expected}.`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment and returns the configuration, or throws ConfigError for the first invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue.path[0]);
    const expected = issue.code === 'invalid_value' && 'values' in issue
      ? `one of ${(issue.values as unknown[]).join(', ')}`
      : issue.message;
    throw new ConfigError(variable, env[variable], expected);
  }
  checkCombinations(result.data, env);
  return result.data;
}

/** Resolves a path from the configuration against the working directory. */
export function resolvePath(file: string): string {
  return path.resolve(process.cwd(), file);
}
