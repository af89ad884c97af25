import { z } from 'zod';
import type { AppendResult, Position } from '../eventstore/port';
import type { SqlDatabase, SqlExecutor } from '../infrastructure/database';
import { AppError } from '../infrastructure/errors';
import { componentLogger } from '../infrastructure/logger';
import { runWithContext } from '../infrastructure/request-context';
import {
  type CustomerUpdate,
  type ProductUpdate,
  ReferenceDataError,
  upsertCustomer,
  upsertProduct,
} from '../integrations/reference-data';
import type { MoneyData } from '../pedido/events';
import { parseMoney, toMoneyData } from '../pedido/money';

const log = componentLogger('inbox');

/** One event from another service, as it arrives from RabbitMQ or from an in-process stand-in. */
export interface InboundMessage {
  /** Id for deduplication: the AMQP messageId, else the body's eventId. */
  messageId: string;
  type: string;
  /** Business time of the fact (ISO 8601); orders reference-data updates. */
  occurredAt: string;
  data: unknown;
  /** Origin: the exchange, or the stand-in's name. */
  source: string;
  correlationId?: string;
}

export type InboxOutcome = 'applied' | 'duplicate';

export type PoisonReason = 'VALIDATION_FAILED' | 'UNKNOWN_TYPE' | 'UNKNOWN_ORDER' | 'REJECTED_BY_ORDER';

/** A message that can never succeed as it is; the consumer parks it in the dead-letter queue without retries. */
export class PoisonMessageError extends Error {
  readonly code = 'POISON_MESSAGE';
  constructor(
    readonly reason: PoisonReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'PoisonMessageError';
  }
}

export type PaymentCommand =
  | { type: 'ConfirmarPago'; paymentId: string; amount: MoneyData; method: string | null }
  | { type: 'RechazarPago'; paymentId: string; reason: string };

/** The part of `OrderCommandService` the inbox uses. */
export interface OrderCommandPort {
  execute(
    orderId: string,
    command: PaymentCommand,
    options?: {
      metadata?: { correlationId?: string; causationId?: string };
      withinTransaction?: (tx: SqlExecutor, result: AppendResult) => Promise<void>;
    },
  ): Promise<{ position: Position | null }>;
}

/** Writers of the local product and customer data (src/integrations/reference-data.ts). */
export interface ReferenceDataWriter {
  upsertProduct(tx: SqlExecutor, update: ProductUpdate, occurredAt: string): Promise<boolean>;
  upsertCustomer(tx: SqlExecutor, update: CustomerUpdate, occurredAt: string): Promise<boolean>;
}

export const referenceDataWriter: ReferenceDataWriter = { upsertProduct, upsertCustomer };

export interface InboxProcessorOptions {
  db: SqlDatabase;
  commands: OrderCommandPort;
  referenceData?: ReferenceDataWriter;
}

// ---- message schemas --------------------------------------------------------

const id = z.string().trim().min(1).max(200);
const money = z.object({
  amount: z.union([z.string().min(1).max(40), z.number()]),
  currency: z.string().regex(/^[A-Z]{3}$/),
});
const envelope = z.object({
  messageId: id,
  type: z.string().min(1).max(100),
  occurredAt: z.iso.datetime({ offset: true }),
  source: z.string().max(200),
});

const schemas = {
  PagoConfirmado: z.object({ paymentId: id, orderId: id, amount: money, method: z.string().max(100).nullish() }),
  PagoRechazado: z.object({ paymentId: id, orderId: id, reason: z.string().min(1).max(1000) }),
  InventarioActualizado: z.object({
    productId: id,
    available: z.number().int().min(0).max(2_147_483_647),
    unitPrice: money.nullish(),
    name: z.string().max(300).nullish(),
  }),
  ClienteActualizado: z.object({
    customerId: id,
    active: z.boolean().nullish(),
    name: z.string().max(300).nullish(),
    email: z.string().max(320).nullish(),
  }),
};

export const consumedEventTypes = Object.keys(schemas) as (keyof typeof schemas)[];

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${[what, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new PoisonMessageError('VALIDATION_FAILED', issues.join('; '));
}

/** Normalizes an amount to the currency's minor-unit digits ("12.5" EUR becomes "12.50"). */
function normalizeMoney(value: { amount: string | number; currency: string }): MoneyData {
  try {
    return toMoneyData(parseMoney(value.amount, value.currency));
  } catch (error) {
    throw new PoisonMessageError('VALIDATION_FAILED', `data.amount: ${(error as Error).message}`);
  }
}

// ---- processor ----------------------------------------------------------------

/**
 * Applies inbound events exactly once: the message id goes into the `inbox`
 * table in the same transaction as the effect, so a redelivered message
 * finds its row and has no second effect. Payment outcomes become commands on
 * the order; product and customer updates go to the local reference data,
 * where an older `occurredAt` never overwrites a newer one.
 */
export class InboxProcessor {
  private readonly referenceData: ReferenceDataWriter;

  constructor(private readonly options: InboxProcessorOptions) {
    this.referenceData = options.referenceData ?? referenceDataWriter;
  }

  /** Throws PoisonMessageError for a message that cannot succeed; any other error may pass on a retry. */
  async process(message: InboundMessage): Promise<InboxOutcome> {
    const checked = parse(envelope, message, 'message');
    return runWithContext({ messageId: checked.messageId, correlationId: message.correlationId }, async () => {
      const outcome = await this.apply(message);
      log.info('inbound message processed', { messageId: message.messageId, type: message.type, source: message.source, outcome });
      return outcome;
    });
  }

  private async apply(message: InboundMessage): Promise<InboxOutcome> {
    switch (message.type) {
      case 'PagoConfirmado': {
        const data = parse(schemas.PagoConfirmado, message.data, 'data');
        const amount = normalizeMoney(data.amount);
        return this.commandOnOrder(message, data.orderId, { type: 'ConfirmarPago', paymentId: data.paymentId, amount, method: data.method ?? null });
      }
      case 'PagoRechazado': {
        const data = parse(schemas.PagoRechazado, message.data, 'data');
        return this.commandOnOrder(message, data.orderId, { type: 'RechazarPago', paymentId: data.paymentId, reason: data.reason });
      }
      case 'InventarioActualizado': {
        const data = parse(schemas.InventarioActualizado, message.data, 'data');
        const unitPrice = data.unitPrice ? normalizeMoney(data.unitPrice) : null;
        return this.referenceUpdate(message, (tx) =>
          this.referenceData.upsertProduct(tx, { productId: data.productId, available: data.available, unitPrice, name: data.name ?? null }, message.occurredAt),
        );
      }
      case 'ClienteActualizado': {
        const data = parse(schemas.ClienteActualizado, message.data, 'data');
        return this.referenceUpdate(message, (tx) =>
          this.referenceData.upsertCustomer(
            tx,
            { customerId: data.customerId, active: data.active ?? null, name: data.name ?? null, email: data.email ?? null },
            message.occurredAt,
          ),
        );
      }
      default:
        throw new PoisonMessageError('UNKNOWN_TYPE', `no handler for message type ${message.type}`);
    }
  }

  /** Runs the command with the inbox row written in the append's transaction. */
  private async commandOnOrder(message: InboundMessage, orderId: string, command: PaymentCommand): Promise<InboxOutcome> {
    // 1. A message seen before has no second effect.
    if (await this.isRecorded(this.options.db, message.messageId)) return 'duplicate';

    // 2. Command and inbox row commit together; the service runs `withinTransaction` even when nothing is appended.
    try {
      await this.options.commands.execute(orderId, command, {
        metadata: { correlationId: message.correlationId ?? message.messageId, causationId: message.messageId },
        withinTransaction: async (tx) => {
          await recordMessage(tx, message);
        },
      });
      return 'applied';
    } catch (error) {
      // 3. A concurrent copy of this message won the race: its row now exists.
      if (await this.isRecorded(this.options.db, message.messageId)) return 'duplicate';
      throw classifyCommandError(error, orderId);
    }
  }

  private async referenceUpdate(message: InboundMessage, write: (tx: SqlExecutor) => Promise<boolean>): Promise<InboxOutcome> {
    try {
      return await this.options.db.transaction(async (tx) => {
        const inserted = await tx.query(
          `INSERT INTO inbox (message_id, type, source, occurred_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (message_id) DO NOTHING`,
          [message.messageId, message.type, message.source, message.occurredAt],
        );
        if (inserted.rowCount === 0) return 'duplicate';
        const newer = await write(tx);
        if (!newer) log.info('reference update older than stored data; kept the newer data', { messageId: message.messageId, type: message.type });
        return 'applied';
      });
    } catch (error) {
      if (error instanceof ReferenceDataError) throw new PoisonMessageError('VALIDATION_FAILED', error.message);
      throw error;
    }
  }

  private async isRecorded(db: SqlExecutor, messageId: string): Promise<boolean> {
    const { rows } = await db.query('SELECT 1 FROM inbox WHERE message_id = $1', [messageId]);
    return rows.length > 0;
  }
}

async function recordMessage(tx: SqlExecutor, message: InboundMessage): Promise<void> {
  await tx.query('INSERT INTO inbox (message_id, type, source, occurred_at) VALUES ($1, $2, $3, $4)', [
    message.messageId,
    message.type,
    message.source,
    message.occurredAt,
  ]);
}

/**
 * Client errors of the order (unknown order, a payment the order cannot take)
 * are permanent; races, timeouts and infrastructure errors are worth a retry.
 */
function classifyCommandError(error: unknown, orderId: string): unknown {
  if (!(error instanceof AppError)) return error;
  if (error.code === 'ORDER_NOT_FOUND') return new PoisonMessageError('UNKNOWN_ORDER', `order ${orderId} does not exist`);
  const retryable = error.status >= 500 || [408, 412, 429].includes(error.status) || error.code === 'CONCURRENCY_CONFLICT';
  if (retryable) return error;
  return new PoisonMessageError('REJECTED_BY_ORDER', `order ${orderId} rejected the command: ${error.code} ${JSON.stringify(error.params)}`);
}
