import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { Counter } from 'prom-client';
import type { InboxBinding } from '../infrastructure/config';
import type { BackgroundWorker, HealthCheck, HealthStatus } from '../infrastructure/health';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { metricsRegistry } from '../infrastructure/metrics';
import { type Backoff, backoffDelay, closeQuietly, connectBroker, defaultBackoff, describeBroker } from './broker';
import { sleep } from '../infrastructure/sleep';
import { type InboundMessage, type InboxOutcome, PoisonMessageError } from './inbox';

const log = componentLogger('inbox-consumer');

export const DEFAULT_INBOX_QUEUE = 'ordersvc.inbox';

export const defaultInboxBindings: readonly InboxBinding[] = [
  { exchange: 'paymentsvc.events', routingKey: 'pago.PagoConfirmado' },
  { exchange: 'paymentsvc.events', routingKey: 'pago.PagoRechazado' },
  { exchange: 'productsvc.events', routingKey: 'producto.InventarioActualizado' },
  { exchange: 'usersvc.events', routingKey: 'cliente.ClienteActualizado' },
];

/** Headers the consumer adds to retried and parked copies. */
export const inboxHeaders = {
  retryCount: 'x-retry-count',
  reason: 'x-death-reason',
  detail: 'x-death-detail',
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
  parkedAt: 'x-parked-at',
} as const;

const inboxMessages = new Counter({
  name: 'ordersvc_inbox_messages_total',
  help: 'Inbound messages by type and outcome (applied, duplicate, retried, parked).',
  labelNames: ['type', 'outcome'] as const,
  registers: [metricsRegistry],
});

const inboxParked = new Counter({
  name: 'ordersvc_inbox_parked_total',
  help: 'Inbound messages moved to the dead-letter queue, by reason.',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export interface InboxWorkerOptions {
  processor: { process(message: InboundMessage): Promise<InboxOutcome> };
  /** No URL: the consumer stays idle and logs that once. */
  rabbitmqUrl: string | undefined;
  queue?: string;
  /** Defaults to `<queue>.dlq`. */
  deadLetterQueue?: string;
  bindings?: readonly InboxBinding[];
  /** Unacknowledged messages in flight at most. */
  prefetch?: number;
  /** Attempts per message, the first included, before a failing message is parked. */
  maxAttempts?: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  retryDelayMs?: number;
  /** Backoff between reconnection attempts. */
  backoff?: Backoff;
}

type ConsumerState = { kind: 'stopped' | 'disabled' | 'connecting' | 'consuming' } | { kind: 'failing'; since: string; reason: string };

/**
 * Consumes `ordersvc.inbox`: hands each message to the inbox processor and
 * acknowledges it only after its effect is stored. Failing messages are
 * republished to per-delay retry queues (TTL, then dead-lettered back to the
 * inbox) with the attempt count in `x-retry-count`. Poison messages and
 * messages out of attempts go to the dead-letter queue with the reason in
 * `x-death-reason`. Retried and parked copies are confirmed by the broker
 * before the original is acknowledged.
 */
export class InboxWorker implements BackgroundWorker {
  readonly name = 'inbox';
  private readonly queue: string;
  private readonly deadLetterQueue: string;
  private readonly bindings: readonly InboxBinding[];
  private readonly prefetch: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly backoff: Backoff;

  private state: ConsumerState = { kind: 'stopped' };
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private connection: ChannelModel | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: InboxWorkerOptions) {
    this.queue = options.queue ?? DEFAULT_INBOX_QUEUE;
    this.deadLetterQueue = options.deadLetterQueue ?? `${this.queue}.dlq`;
    this.bindings = options.bindings ?? defaultInboxBindings;
    this.prefetch = options.prefetch ?? 16;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.backoff = options.backoff ?? defaultBackoff;
  }

  async start(): Promise<void> {
    if (this.loop) return;
    if (!this.options.rabbitmqUrl) {
      this.state = { kind: 'disabled' };
      log.info('inbox consumer idle: RABBITMQ_URL is not set');
      return;
    }
    this.abort = new AbortController();
    this.state = { kind: 'connecting' };
    this.loop = this.run(this.options.rabbitmqUrl);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    await Promise.allSettled([...this.inFlight]);
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await closeQuietly(connection);
    this.state = { kind: 'stopped' };
  }

  healthCheck(): HealthCheck {
    return { name: 'inbox', required: false, check: async () => this.health() };
  }

  health(): HealthStatus {
    switch (this.state.kind) {
      case 'stopped':
        return { status: 'down', detail: 'not running' };
      case 'disabled':
        return { status: 'disabled', detail: 'RABBITMQ_URL is not set' };
      case 'connecting':
        return { status: 'degraded', detail: 'connecting to the broker' };
      case 'consuming':
        return { status: 'up', detail: `consuming ${this.queue}` };
      case 'failing':
        return { status: 'degraded', detail: `consumer failing since ${this.state.since}: ${this.state.reason}` };
    }
  }

  /** Delays of the retry queues: retryDelayMs, doubled for each further attempt. */
  retryDelays(): number[] {
    return Array.from({ length: Math.max(0, this.maxAttempts - 1) }, (_, index) => this.retryDelayMs * 2 ** index);
  }

  private retryQueueName(delayMs: number): string {
    return `${this.queue}.retry.${delayMs}ms`;
  }

  // ---- connection loop ------------------------------------------------------

  /** Connects, consumes until the connection ends, and reconnects with backoff. */
  private async run(url: string): Promise<void> {
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      try {
        const { closed } = await this.connectAndConsume(url);
        attempt = 0;
        this.state = { kind: 'consuming' };
        log.info('inbox consumer started', { queue: this.queue, bindings: this.bindings.length, broker: describeBroker(url) });
        const reason = await closed;
        if (this.abort.signal.aborted) return;
        this.markFailing(reason);
        log.warn('inbox consumer lost its broker connection; reconnecting', { reason });
      } catch (error) {
        attempt += 1;
        this.markFailing((error as Error).message);
        log.warn('inbox consumer could not connect; retrying', { ...errorFields(error), attempt });
        if (this.connection) await closeQuietly(this.connection);
        this.connection = undefined;
      }
      await sleep(backoffDelay(this.backoff, Math.max(1, attempt)), this.abort.signal);
    }
  }

  /** Declares the topology and starts consuming; `closed` settles when the connection or channel ends. */
  private async connectAndConsume(url: string): Promise<{ closed: Promise<string> }> {
    const connection = await connectBroker(url, 'inbox');
    this.connection = connection;
    const closed = new Promise<string>((resolve) => {
      connection.on('close', (error?: Error) => resolve(error ? error.message : 'connection closed'));
      this.abort.signal.addEventListener('abort', () => resolve('stopping'), { once: true });
    });
    connection.on('error', (error: Error) => log.warn('inbox broker connection error', errorFields(error)));
    connection.on('blocked', (reason: string) => log.warn('broker blocked the inbox connection', { reason }));

    const channel = await connection.createConfirmChannel();
    channel.on('error', (error: Error) => log.warn('inbox channel closed by the broker', errorFields(error)));
    // A closed channel cannot ack: closing the connection makes the loop reconnect, and unacked messages return to the queue.
    channel.on('close', () => {
      if (!this.abort.signal.aborted) void closeQuietly(connection);
    });

    await this.declareTopology(channel);
    await channel.prefetch(this.prefetch);
    await channel.consume(this.queue, (message) => {
      if (message) this.track(this.handle(channel, message));
    });
    return { closed };
  }

  private async declareTopology(channel: ConfirmChannel): Promise<void> {
    await channel.assertQueue(this.queue, { durable: true });
    await channel.assertQueue(this.deadLetterQueue, { durable: true });
    for (const delayMs of this.retryDelays()) {
      await channel.assertQueue(this.retryQueueName(delayMs), {
        durable: true,
        arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': this.queue },
      });
    }
    for (const binding of this.bindings) {
      await channel.assertExchange(binding.exchange, 'topic', { durable: true });
      await channel.bindQueue(this.queue, binding.exchange, binding.routingKey);
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private markFailing(reason: string): void {
    const since = this.state.kind === 'failing' ? this.state.since : new Date().toISOString();
    this.state = { kind: 'failing', since, reason };
  }

  // ---- one message --------------------------------------------------------------

  private async handle(channel: ConfirmChannel, delivery: ConsumeMessage): Promise<void> {
    const attempt = Number(delivery.properties.headers?.[inboxHeaders.retryCount] ?? 0) + 1;
    log.debug('inbound message received', { messageId: delivery.properties.messageId, attempt });
    let message: InboundMessage | undefined;
    let outcome: InboxOutcome;
    try {
      message = toInboundMessage(delivery);
      outcome = await this.options.processor.process(message);
    } catch (error) {
      const type = message?.type ?? String(delivery.properties.type ?? 'unknown');
      await this.handleFailure(channel, delivery, type, attempt, error);
      return;
    }
    inboxMessages.inc({ type: message.type, outcome });
    try {
      channel.ack(delivery);
    } catch (error) {
      // The effect is stored: the redelivered copy will be found in the inbox table and only acknowledged.
      log.warn('could not acknowledge an applied inbound message', { messageId: message.messageId, ...errorFields(error) });
    }
  }

  private async handleFailure(channel: ConfirmChannel, delivery: ConsumeMessage, type: string, attempt: number, error: unknown): Promise<void> {
    const messageId = delivery.properties.messageId;
    try {
      if (error instanceof PoisonMessageError) {
        await this.park(channel, delivery, error.reason, error.detail, attempt);
        inboxMessages.inc({ type, outcome: 'parked' });
        log.warn('inbound message parked in the dead-letter queue', { messageId, type, reason: error.reason, detail: error.detail });
      } else if (attempt >= this.maxAttempts) {
        await this.park(channel, delivery, 'RETRIES_EXHAUSTED', (error as Error)?.message ?? String(error), attempt);
        inboxMessages.inc({ type, outcome: 'parked' });
        log.error('inbound message failed on every attempt; parked in the dead-letter queue', { messageId, type, attempt, ...errorFields(error) });
      } else {
        const delayMs = this.retryDelays()[attempt - 1];
        await this.republish(channel, delivery, this.retryQueueName(delayMs), { [inboxHeaders.retryCount]: attempt });
        inboxMessages.inc({ type, outcome: 'retried' });
        log.warn('inbound message failed; retrying later', { messageId, type, attempt, delayMs, ...errorFields(error) });
      }
      channel.ack(delivery);
    } catch (republishError) {
      // The copy was not confirmed: leave the original unacknowledged, so the broker redelivers it.
      log.error('could not move a failed inbound message; it stays in the queue', { messageId, ...errorFields(republishError) });
    }
  }

  private async park(channel: ConfirmChannel, delivery: ConsumeMessage, reason: string, detail: string, attempt: number): Promise<void> {
    inboxParked.inc({ reason });
    await this.republish(channel, delivery, this.deadLetterQueue, {
      [inboxHeaders.retryCount]: attempt - 1,
      [inboxHeaders.reason]: reason,
      [inboxHeaders.detail]: detail.slice(0, 1000),
      [inboxHeaders.parkedAt]: new Date().toISOString(),
    });
  }

  /** Sends a copy with extra headers to `queue` through the default exchange and waits for the broker's confirm. */
  private republish(channel: ConfirmChannel, delivery: ConsumeMessage, queue: string, headers: Record<string, unknown>): Promise<void> {
    const original = delivery.properties;
    const previous = original.headers ?? {};
    const options: Options.Publish = {
      messageId: original.messageId,
      type: original.type,
      contentType: original.contentType,
      timestamp: original.timestamp,
      correlationId: original.correlationId,
      persistent: true,
      headers: {
        ...withoutBrokerHeaders(previous),
        [inboxHeaders.originalExchange]: previous[inboxHeaders.originalExchange] ?? delivery.fields.exchange,
        [inboxHeaders.originalRoutingKey]: previous[inboxHeaders.originalRoutingKey] ?? delivery.fields.routingKey,
        ...headers,
      },
    };
    return new Promise((resolve, reject) => {
      channel.sendToQueue(queue, delivery.content, options, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/** Drops the broker's own dead-lettering history, which grows with every retry. */
function withoutBrokerHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const { 'x-death': _death, 'x-first-death-exchange': _exchange, 'x-first-death-queue': _queue, 'x-first-death-reason': _reason, ...rest } = headers;
  return rest;
}

/**
 * Reads the envelope `{ eventId, type, occurredAt, data }`. The AMQP
 * messageId and type win over the body's; the source is the exchange it was
 * first published to.
 */
export function toInboundMessage(delivery: ConsumeMessage): InboundMessage {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(delivery.content.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the body is not a JSON object');
    body = parsed as Record<string, unknown>;
  } catch (error) {
    throw new PoisonMessageError('VALIDATION_FAILED', `body: ${(error as Error).message}`);
  }
  const headers = delivery.properties.headers ?? {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    messageId: text(delivery.properties.messageId) ?? text(body.eventId) ?? text(body.messageId) ?? '',
    type: text(delivery.properties.type) ?? text(body.type) ?? '',
    occurredAt: text(body.occurredAt) ?? '',
    data: body.data,
    source: text(headers[inboxHeaders.originalExchange]) ?? delivery.fields.exchange,
    correlationId: text(headers['x-correlation-id']) ?? text(delivery.properties.correlationId),
  };
}
