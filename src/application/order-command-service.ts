import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '../eventstore/port';
import type { SqlDatabase, SqlExecutor } from '../infrastructure/database';
import { AppError } from '../infrastructure/errors';
import { componentLogger } from '../infrastructure/logger';
import { metricsRegistry } from '../infrastructure/metrics';
import {
  PEDIDO_EVENT_SCHEMA_VERSION,
  decide,
  evolve,
  initialPedidoState,
  occurredAtOf,
  orderStreamId,
  type PedidoCommand,
  type PedidoEvent,
  type PedidoState,
} from '../pedido';
import { StateCache } from './state-cache';

const log = componentLogger('commands');

export interface CommandMetadata {
  correlationId?: string;
  causationId?: string;
}

/** What the command decided, passed to `withinTransaction` next to the append result. */
export interface PendingOutcome {
  /** The order's state with the new events applied. */
  state: PedidoState;
  events: readonly PedidoEvent[];
}

export interface ExecuteOptions {
  /** If-Match: the revision the client last saw; a mismatch is 412 REVISION_MISMATCH and nothing is appended. */
  expectedRevision?: number;
  metadata?: CommandMetadata;
  /**
   * Writes that commit together with the events. When the command appends
   * nothing, they run in a transaction of their own, with the stream's
   * current revision and last position as the result.
   */
  withinTransaction?: (tx: SqlExecutor, result: AppendResult, pending: PendingOutcome) => Promise<void>;
}

export interface CommandOutcome {
  orderId: string;
  /** Revision of the stream's last event after the command. */
  revision: number;
  /** Global position of the last event appended; null when nothing was appended. */
  position: Position | null;
  appended: RecordedEvent[];
  state: PedidoState;
}

export interface OrderCommandServiceOptions {
  eventStore: EventStore;
  /** Runs `withinTransaction` for commands that append nothing. */
  db: SqlDatabase;
  maxLineQuantity: number;
  /** How often a command that lost a race is retried on fresh state (COMMAND_RETRIES). */
  retries: number;
  now?: () => Date;
  newId?: () => string;
  /** Orders whose folded state is kept in memory; 0 turns the cache off. */
  cacheSize?: number;
}

interface LoadedStream {
  state: PedidoState;
  /** Revision of the last event, or -1 for no stream. */
  revision: number;
  lastPosition: Position | null;
}

const commandsTotal = new Counter({
  name: 'ordersvc_commands_total',
  help: 'Commands handled, by command type and outcome',
  labelNames: ['command', 'outcome'] as const,
  registers: [metricsRegistry],
});

const commandRetries = new Counter({
  name: 'ordersvc_command_retries_total',
  help: 'Commands retried on fresh state after losing a concurrent append',
  labelNames: ['command'] as const,
  registers: [metricsRegistry],
});

/**
 * Handles Pedido commands: load the stream, fold it, decide, and append with
 * the loaded revision as the expected revision. A command that loses a race
 * is retried on fresh state with jitter, unless the caller pinned a revision.
 */
export class OrderCommandService {
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly cache: StateCache<LoadedStream>;

  constructor(private readonly options: OrderCommandServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.cache = new StateCache(options.cacheSize ?? 10_000);
  }

  async execute(orderId: string, command: PedidoCommand, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    const streamId = orderStreamId(orderId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await this.attempt(orderId, streamId, command, options);
        commandsTotal.inc({ command: command.type, outcome: outcome.appended.length > 0 ? 'appended' : 'unchanged' });
        return outcome;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) {
          commandsTotal.inc({ command: command.type, outcome: 'rejected' });
          throw error;
        }
        this.cache.delete(streamId);
        if (options.expectedRevision !== undefined) {
          throw revisionMismatch(options.expectedRevision, error.actual === 'no_stream' ? -1 : error.actual);
        }
        if (attempt > this.options.retries) {
          commandsTotal.inc({ command: command.type, outcome: 'conflict' });
          log.warn('command gave up after concurrent appends', { orderId, command: command.type, attempts: attempt });
          throw new AppError('CONCURRENCY_CONFLICT', 409, { orderId, attempts: attempt });
        }
        commandRetries.inc({ command: command.type });
        await sleep(backoffWithJitter(attempt));
      }
    }
  }

  /**
   * The order's state as last seen by this instance, without reading the
   * store; it may be behind. Good for what never changes after creation
   * (currency, customer).
   */
  peek(orderId: string): PedidoState | undefined {
    const cached = this.cache.get(orderStreamId(orderId));
    return cached && cached.revision >= 0 ? cached.state : undefined;
  }

  /** Folds the order's stream; undefined when the order does not exist. */
  async load(orderId: string): Promise<{ state: PedidoState; revision: number } | undefined> {
    const loaded = await this.loadStream(orderStreamId(orderId));
    return loaded.revision < 0 ? undefined : { state: loaded.state, revision: loaded.revision };
  }

  /**
   * One try of a command. A state cached by this instance is trusted first:
   * if it is behind, the append fails on the revision and the next try reads
   * the store. A rule the cached state breaks, or a decision to append
   * nothing, is checked again on the stored state before it counts.
   */
  private async attempt(orderId: string, streamId: string, command: PedidoCommand, options: ExecuteOptions): Promise<CommandOutcome> {
    const cached = this.cache.get(streamId);
    if (cached) {
      try {
        const outcome = await this.decideAndAppend(orderId, streamId, command, options, cached, false);
        if (outcome !== 'recheck') return outcome;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
      }
    }
    const outcome = await this.decideAndAppend(orderId, streamId, command, options, await this.loadStream(streamId), true);
    if (outcome === 'recheck') throw new Error('a stored state never needs a recheck');
    return outcome;
  }

  private async decideAndAppend(
    orderId: string,
    streamId: string,
    command: PedidoCommand,
    options: ExecuteOptions,
    loaded: LoadedStream,
    fresh: boolean,
  ): Promise<CommandOutcome | 'recheck'> {
    // 1. Does the command apply to this stream at all?
    const createsStream = command.type === 'CrearPedido' || command.type === 'ImportarPedidoHistorico';
    if (loaded.revision < 0 && !createsStream) throw new AppError('ORDER_NOT_FOUND', 404, { orderId });
    if (options.expectedRevision !== undefined && options.expectedRevision !== loaded.revision) {
      throw revisionMismatch(options.expectedRevision, loaded.revision);
    }

    // 2. The pure decision.
    const events = decide(command, loaded.state, { now: this.now().toISOString(), newId: this.newId, maxLineQuantity: this.options.maxLineQuantity });
    const state = events.reduce(evolve, loaded.state);
    if (events.length === 0) return fresh ? this.unchanged(orderId, loaded, options) : 'recheck';

    // 3. Append with the loaded revision, together with the caller's writes.
    const newEvents = events.map((event) => this.toNewEvent(event, options.metadata));
    const within = options.withinTransaction;
    const result = await this.options.eventStore.append(streamId, newEvents, {
      expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision,
      withinTransaction: within ? (tx, appendResult) => within(tx, appendResult, { state, events }) : undefined,
    });

    // 4. Remember the new state and report what was stored.
    this.cache.set(streamId, { state, revision: result.nextRevision, lastPosition: result.position });
    const appended = await this.recorded(streamId, newEvents, result);
    return { orderId, revision: result.nextRevision, position: result.position, appended, state };
  }

  private async unchanged(orderId: string, loaded: LoadedStream, options: ExecuteOptions): Promise<CommandOutcome> {
    const within = options.withinTransaction;
    if (within && loaded.lastPosition !== null) {
      const result: AppendResult = { nextRevision: loaded.revision, position: loaded.lastPosition };
      await this.options.db.transaction((tx) => within(tx, result, { state: loaded.state, events: [] }));
    }
    return { orderId, revision: loaded.revision, position: null, appended: [], state: loaded.state };
  }

  // Reads only the events after the cached revision; streams are append-only, so the cached fold stays valid.
  private async loadStream(streamId: string): Promise<LoadedStream> {
    const cached = this.cache.get(streamId) ?? { state: initialPedidoState, revision: -1, lastPosition: null };
    const events = await this.options.eventStore.readStream(streamId, { fromRevision: cached.revision + 1 });
    if (events.length === 0) return cached;
    const loaded: LoadedStream = {
      state: events.reduce((state, event) => evolve(state, { type: event.type, data: event.data } as PedidoEvent), cached.state),
      revision: events[events.length - 1].revision,
      lastPosition: events[events.length - 1].position,
    };
    this.cache.set(streamId, loaded);
    return loaded;
  }

  private toNewEvent(event: PedidoEvent, metadata: CommandMetadata | undefined): NewEvent {
    return {
      id: this.newId(),
      type: event.type,
      data: event.data,
      metadata: {
        occurredAt: occurredAtOf(event),
        ...(metadata?.correlationId ? { correlationId: metadata.correlationId } : {}),
        ...(metadata?.causationId ? { causationId: metadata.causationId } : {}),
        schemaVersion: PEDIDO_EVENT_SCHEMA_VERSION,
      },
    };
  }

  /**
   * The events as stored. A single event's revision and position are those of
   * the append result, and its `recordedAt` is this service's clock right
   * after the commit. A batch is read back, because the result names only
   * its last event.
   */
  private async recorded(streamId: string, events: NewEvent[], result: AppendResult): Promise<RecordedEvent[]> {
    if (events.length === 1) {
      return [{ ...events[0], streamId, revision: result.nextRevision, position: result.position, recordedAt: this.now().toISOString() }];
    }
    return this.options.eventStore.readStream(streamId, { fromRevision: result.nextRevision - events.length + 1, maxCount: events.length });
  }
}

function revisionMismatch(expected: number, actual: number): AppError {
  return new AppError('REVISION_MISMATCH', 412, { expected, actual });
}

/** Exponential backoff from 5 ms, capped at 100 ms, with full jitter so racing commands spread out. */
function backoffWithJitter(attempt: number): number {
  const ceiling = Math.min(100, 5 * 2 ** (attempt - 1));
  return Math.random() * ceiling;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
