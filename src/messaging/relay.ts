import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { EventStore, Position, RecordedEvent } from '../eventstore/port';
import type { SqlDatabase, SqlExecutor } from '../infrastructure/database';
import type { BackgroundWorker, HealthCheck, HealthStatus } from '../infrastructure/health';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { type Backoff, amqpCode, closeQuietly, backoffDelay, connectBroker, defaultBackoff, describeBroker } from './broker';
import { sleep } from '../infrastructure/sleep';
import { DEFAULT_EVENTS_EXCHANGE, type OrderFold, type OutgoingMessage, PublishedEventMapper } from './contracts';
import { relayMetrics } from './relay-metrics';

export { messagingMigrations } from './migrations';

const log = componentLogger('relay');

/** Events counted for the lag gauge at most; more shows as this number. */
const LAG_COUNT_CAP = 10_000;
/** First key of the two-key advisory lock that elects the active relay; the second is a hash of the checkpoint name. */
const RELAY_LOCK_NAMESPACE = 7_302_115;

export interface RelayOptions<S> {
  db: SqlDatabase;
  store: EventStore;
  fold: OrderFold<S>;
  /** No URL: the relay logs once that it waits, and publishes nothing. */
  rabbitmqUrl: string | undefined;
  exchange?: string;
  /** Row of `relay_checkpoint`; defaults to the exchange name. */
  checkpointName?: string;
  /** Events read and published per batch before waiting for the broker's confirms. */
  batchSize?: number;
  /** How long an idle relay waits for new events before it checks again. */
  idleWaitMs?: number;
  /** How often a standby instance tries to take over the lease. */
  standbyRetryMs?: number;
  backoff?: Backoff;
  /** A batch whose confirms take longer fails and is published again on a fresh connection. */
  confirmTimeoutMs?: number;
  /** Test hook, called after the broker confirmed a batch and before the checkpoint moves. */
  afterConfirm?: (messages: readonly OutgoingMessage[]) => Promise<void>;
}

type RelayState =
  | { kind: 'stopped' }
  | { kind: 'disabled' }
  | { kind: 'standby' }
  | { kind: 'active' }
  | { kind: 'failing'; since: string; reason: string; cause: RelayFailure['reason'] };

interface PreparedBatch {
  events: RecordedEvent[];
  messages: OutgoingMessage[];
  failure?: Error;
}

interface BatchOutcome {
  /** Messages confirmed from the start of the batch without a gap. */
  confirmedPrefix: number;
  failure?: Error;
}

class RelayFailure extends Error {
  constructor(
    readonly reason: 'broker' | 'blocked' | 'confirm' | 'mapping' | 'database' | 'interrupted',
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RelayFailure';
  }
}

/**
 * The outbox relay: reads the global log after its checkpoint, publishes each
 * order event to the topic exchange with publisher confirms, and moves the
 * checkpoint only past what the broker confirmed. At least once, in revision
 * order per order. One instance at a time holds a session-level advisory
 * lock and publishes; the others wait to take over when its session ends.
 */
export class RelayWorker<S = unknown> implements BackgroundWorker {
  readonly name = 'relay';
  private readonly exchange: string;
  private readonly checkpointName: string;
  private readonly batchSize: number;
  private readonly idleWaitMs: number;
  private readonly standbyRetryMs: number;
  private readonly backoff: Backoff;
  private readonly confirmTimeoutMs: number;
  private readonly mapper: PublishedEventMapper<S>;

  private state: RelayState = { kind: 'stopped' };
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private blockedReason: string | undefined;
  private readonly lagSource = { measureLag: () => this.measureLag() };

  constructor(private readonly options: RelayOptions<S>) {
    this.exchange = options.exchange ?? DEFAULT_EVENTS_EXCHANGE;
    this.checkpointName = options.checkpointName ?? this.exchange;
    this.batchSize = options.batchSize ?? 1000;
    this.idleWaitMs = options.idleWaitMs ?? 1000;
    this.standbyRetryMs = options.standbyRetryMs ?? 2000;
    this.backoff = options.backoff ?? defaultBackoff;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 30_000;
    this.mapper = new PublishedEventMapper(options.fold, options.store);
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.abort = new AbortController();
    relayMetrics.registerLagSource(this.lagSource);
    if (!this.options.rabbitmqUrl) {
      this.state = { kind: 'disabled' };
      log.info('relay waiting: RABBITMQ_URL is not set, so events stay in the log until a broker is configured');
      return;
    }
    log.info('relay starting', { broker: describeBroker(this.options.rabbitmqUrl), exchange: this.exchange });
    this.state = { kind: 'standby' };
    this.loop = this.runElections();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    relayMetrics.unregisterLagSource(this.lagSource);
    // Closing the connection first ends any wait for a drain or for confirms.
    await this.closeBroker();
    await this.loop;
    this.loop = undefined;
    await this.closeBroker();
    relayMetrics.active.set(0);
    this.state = { kind: 'stopped' };
  }

  /** Readiness entry for `/health/ready`; the relay is never required, since commands keep working without it. */
  healthCheck(): HealthCheck {
    return { name: 'relay', required: false, check: async () => this.health() };
  }

  health(): HealthStatus {
    switch (this.state.kind) {
      case 'stopped':
        return { status: 'down', detail: 'not running' };
      case 'disabled':
        return { status: 'disabled', detail: 'RABBITMQ_URL is not set; events wait in the log' };
      case 'standby':
        return { status: 'up', detail: 'standby: another instance holds the relay lease' };
      case 'active':
        return this.blockedReason
          ? { status: 'degraded', detail: `broker blocked publishing: ${this.blockedReason}` }
          : { status: 'up', detail: `publishing to ${this.exchange}` };
      case 'failing':
        return { status: 'degraded', detail: `publishing failing since ${this.state.since}: ${this.state.reason}` };
    }
  }

  /** Events after the checkpoint (capped) and the age of the oldest of them. */
  async measureLag(): Promise<{ events: number; seconds: number }> {
    const checkpoint = await readCheckpoint(this.options.db, this.checkpointName);
    const pending = await this.options.store.readAll(checkpoint, LAG_COUNT_CAP);
    if (pending.length === 0) return { events: 0, seconds: 0 };
    const oldestMs = Date.parse(pending[0].recordedAt);
    return { events: pending.length, seconds: Math.max(0, (Date.now() - oldestMs) / 1000) };
  }

  // ---- leadership -------------------------------------------------------

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async runElections(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.options.db.withSession((session) => this.leadIfElected(session));
      } catch (error) {
        relayMetrics.failures.inc({ reason: 'database' });
        this.markFailing(`database: ${(error as Error).message}`, 'database');
        log.error('relay lost its database session; it will try to take the lease again', errorFields(error));
      }
      relayMetrics.active.set(0);
      if (!this.stopped) await sleep(this.standbyRetryMs, this.abort.signal);
    }
  }

  private async leadIfElected(session: SqlExecutor): Promise<void> {
    const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
      RELAY_LOCK_NAMESPACE,
      this.checkpointName,
    ]);
    if (!rows[0]?.locked) {
      if (this.state.kind !== 'standby') log.info('relay on standby: another instance holds the lease');
      this.state = { kind: 'standby' };
      return;
    }

    // A checkpoint lost in a crash only means republishing (at least once), so its commits need not wait for the WAL flush.
    await session.query('SET synchronous_commit = off');
    log.info('relay holds the lease and starts publishing', { exchange: this.exchange });
    relayMetrics.active.set(1);
    this.state = { kind: 'active' };
    try {
      await this.publishWhileLeader(session);
    } finally {
      await session
        .query('SELECT pg_advisory_unlock($1, hashtext($2))', [RELAY_LOCK_NAMESPACE, this.checkpointName])
        .catch(() => undefined);
    }
  }

  // ---- publishing loop ----------------------------------------------------

  /**
   * Publishes batches until stopped. Broker failures are retried here with
   * backoff; a failing lease session throws, which ends the lease.
   */
  private async publishWhileLeader(session: SqlExecutor): Promise<void> {
    // Another instance may have published meanwhile: start from the stored checkpoint with no cached state.
    this.mapper.reset();
    await ensureCheckpointRow(session, this.checkpointName);
    let checkpoint = await readCheckpoint(session, this.checkpointName);
    let attempt = 0;
    let readAhead: Promise<PreparedBatch> | undefined;
    // The checkpoint write of the previous batch runs while the next batch publishes; its failure ends the lease.
    let saving: Promise<void> | undefined;
    let saveFailure: unknown;
    const finishSaving = async () => {
      await saving;
      saving = undefined;
      if (saveFailure !== undefined) throw saveFailure;
    };

    try {
      while (!this.stopped) {
        // 1. Check that the lease session still responds, so a relay cut off from the database stops publishing.
        await finishSaving();
        await session.query('SELECT 1');

        // 2. Take the batch read during the previous confirm wait, or read the batch after the checkpoint.
        const prepared = await (readAhead ?? this.prepareBatch(checkpoint));
        readAhead = undefined;
        if (prepared.events.length === 0 && !prepared.failure) {
          // Nothing to publish: keep the broker connection open anyway, so health shows its real state.
          try {
            await this.openChannel();
          } catch (error) {
            attempt += 1;
            await this.recordFailure(error as Error, attempt);
            continue;
          }
          if (this.state.kind === 'failing') log.info('relay recovered', { failedAttempts: attempt });
          this.state = { kind: 'active' };
          attempt = 0;
          await this.options.store.waitForEvents(checkpoint, this.idleWaitMs, this.abort.signal);
          continue;
        }

        // 3. Publish the batch; while the broker confirms it, read and map the next one of a backlog.
        let outcome: BatchOutcome = { confirmedPrefix: 0, failure: prepared.failure };
        if (!prepared.failure) {
          const publishing = this.publishBatch(prepared.messages);
          if (prepared.events.length === this.batchSize) readAhead = this.prepareBatch(prepared.events[prepared.events.length - 1].position);
          outcome = await publishing;
        }

        // 4. Move the checkpoint past what the broker confirmed, and nothing further.
        const confirmedUpTo = lastConfirmedPosition(prepared, outcome);
        if (confirmedUpTo !== undefined && confirmedUpTo !== checkpoint) {
          await finishSaving();
          saving = saveCheckpoint(session, this.checkpointName, confirmedUpTo).catch((error: unknown) => {
            saveFailure = error;
          });
          checkpoint = confirmedUpTo;
        }

        // 5. On failure: drop the read-ahead, log, count, back off, and publish again from the checkpoint.
        if (outcome.failure) {
          await readAhead;
          readAhead = undefined;
          this.mapper.reset();
          attempt += 1;
          await this.recordFailure(outcome.failure, attempt);
          continue;
        }
        if (attempt > 0) log.info('relay recovered and publishes again', { failedAttempts: attempt });
        attempt = 0;
        this.state = { kind: 'active' };
      }
    } finally {
      await readAhead;
      await saving;
    }
  }

  /** Reads the batch after `after` and maps it; a failure is returned, not thrown, so it goes through the retry path. */
  private async prepareBatch(after: Position | null): Promise<PreparedBatch> {
    let events: RecordedEvent[];
    try {
      events = await this.options.store.readAll(after, this.batchSize);
    } catch (error) {
      return { events: [], messages: [], failure: new RelayFailure('database', `reading the event log failed: ${describeError(error)}`, error) };
    }
    try {
      return { events, messages: await this.mapper.map(events) };
    } catch (error) {
      return { events, messages: [], failure: new RelayFailure('mapping', `mapping an event failed: ${describeError(error)}`, error) };
    }
  }

  /** Publishes on the confirm channel (opened when needed) and runs the test hook after a full confirm. */
  private async publishBatch(messages: readonly OutgoingMessage[]): Promise<BatchOutcome> {
    if (messages.length === 0) return { confirmedPrefix: 0 };

    let outcome: BatchOutcome;
    try {
      const channel = await this.openChannel();
      outcome = await this.publishAndConfirm(channel, messages);
    } catch (error) {
      outcome = { confirmedPrefix: 0, failure: error as Error };
    }
    if (outcome.confirmedPrefix > 0) relayMetrics.published.inc(outcome.confirmedPrefix);

    if (!outcome.failure && this.options.afterConfirm) {
      try {
        await this.options.afterConfirm(messages);
      } catch (error) {
        return { confirmedPrefix: 0, failure: new RelayFailure('interrupted', `interrupted after confirm: ${describeError(error)}`, error) };
      }
    }
    return outcome;
  }

  /** Publishes every message, then waits once for all confirms; never one round trip per message. */
  private async publishAndConfirm(channel: ConfirmChannel, messages: readonly OutgoingMessage[]): Promise<BatchOutcome> {
    const confirmed = new Array<boolean>(messages.length).fill(false);
    let failure: Error | undefined;
    let settled = 0;
    let resolveAll!: () => void;
    const allSettled = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const settle = (index: number, error: unknown) => {
      if (error) failure ??= new RelayFailure('confirm', `broker did not confirm a message: ${describeError(error)}`, error);
      else confirmed[index] = true;
      settled += 1;
      if (settled === messages.length) resolveAll();
    };

    const timeoutFailure = () =>
      this.blockedReason
        ? new RelayFailure('blocked', `broker blocked publishing: ${this.blockedReason}`)
        : new RelayFailure('confirm', `confirms did not arrive within ${this.confirmTimeoutMs} ms`);

    let published = 0;
    for (; published < messages.length && !failure; published += 1) {
      const index = published;
      const message = messages[index];
      if (this.channel !== channel) {
        failure ??= new RelayFailure('broker', 'channel closed while publishing');
        break;
      }
      const hasRoom = channel.publish(this.exchange, message.routingKey, message.content, message.options, (error) => settle(index, error));
      if (!hasRoom && (await raceTimeout(waitForDrain(channel), this.confirmTimeoutMs, this.abort.signal))) {
        failure ??= timeoutFailure();
      }
    }
    // Messages never handed to the channel count as settled (unconfirmed) so the wait below can end.
    settled += messages.length - published;
    if (settled < messages.length && (await raceTimeout(allSettled, this.confirmTimeoutMs, this.abort.signal))) {
      failure ??= timeoutFailure();
    }
    const firstUnconfirmed = confirmed.indexOf(false);
    return { confirmedPrefix: firstUnconfirmed === -1 ? messages.length : firstUnconfirmed, failure };
  }

  private async recordFailure(failure: Error, attempt: number): Promise<void> {
    const reason = failure instanceof RelayFailure ? failure.reason : 'broker';
    relayMetrics.failures.inc({ reason });
    this.markFailing(failure.message, reason);
    const delayMs = backoffDelay(this.backoff, attempt);
    log.warn('relay publish failed; retrying from the checkpoint', { ...errorFields(failure), reason, attempt, delayMs });
    // A channel or connection in an unknown state is replaced; the exchange is declared again on the new channel.
    await this.closeBroker();
    await sleep(delayMs, this.abort.signal);
  }

  private markFailing(reason: string, cause: RelayFailure['reason'] = 'broker'): void {
    const since = this.state.kind === 'failing' ? this.state.since : new Date().toISOString();
    this.state = { kind: 'failing', since, reason, cause };
  }

  // ---- broker connection ----------------------------------------------

  /** Returns the confirm channel, opening the connection and declaring the exchange when needed. */
  private async openChannel(): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    if (this.stopped) throw new RelayFailure('interrupted', 'relay is stopping');
    const url = this.options.rabbitmqUrl as string;
    if (!this.connection) {
      let connection: ChannelModel;
      try {
        connection = await connectBroker(url, 'relay');
      } catch (error) {
        throw new RelayFailure('broker', `cannot connect to ${describeBroker(url)}: ${describeError(error)}`, error);
      }
      connection.on('error', (error: Error) => log.warn('relay broker connection error', errorFields(error)));
      connection.on('close', () => {
        // Only an unexpected close: closeBroker() forgets the connection before closing it.
        if (this.connection === connection) {
          this.connection = undefined;
          this.channel = undefined;
          this.blockedReason = undefined;
          if (!this.stopped && this.state.kind === 'active') this.markFailing('broker connection closed; reconnecting');
        }
      });
      connection.on('blocked', (reason: string) => {
        this.blockedReason = reason;
        relayMetrics.failures.inc({ reason: 'blocked' });
        log.warn('broker blocked the relay connection (resource alarm); events wait in the log', { reason });
      });
      connection.on('unblocked', () => {
        this.blockedReason = undefined;
        log.info('broker unblocked the relay connection');
      });
      this.connection = connection;
    }

    const connection = this.connection;
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: Error) => {
        // 404 NOT_FOUND: the exchange was deleted; the next channel declares it again.
        log.warn('relay channel closed by the broker', { ...errorFields(error), amqpCode: amqpCode(error) });
      });
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      await channel.assertExchange(this.exchange, 'topic', { durable: true });
      this.channel = channel;
      return channel;
    } catch (error) {
      throw new RelayFailure('broker', `cannot open a channel or declare exchange ${this.exchange}: ${describeError(error)}`, error);
    }
  }

  private async closeBroker(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    this.blockedReason = undefined;
    if (connection) await closeQuietly(connection);
  }
}

// ---- checkpoint store -----------------------------------------------------

async function ensureCheckpointRow(db: SqlExecutor, name: string): Promise<void> {
  await db.query('INSERT INTO relay_checkpoint (name, position) VALUES ($1, NULL) ON CONFLICT (name) DO NOTHING', [name]);
}

export async function readCheckpoint(db: SqlExecutor, name: string): Promise<Position | null> {
  const { rows } = await db.query<{ position: string | null }>('SELECT position FROM relay_checkpoint WHERE name = $1', [name]);
  return rows[0]?.position ?? null;
}

async function saveCheckpoint(db: SqlExecutor, name: string, position: Position): Promise<void> {
  await db.query('UPDATE relay_checkpoint SET position = $2, updated_at = now() WHERE name = $1', [name, position]);
}

/**
 * Picks the position to checkpoint after a batch: the last event when every
 * message was confirmed (events of other streams publish nothing), else the
 * event of the last message in the confirmed prefix.
 */
function lastConfirmedPosition(prepared: PreparedBatch, outcome: BatchOutcome): Position | undefined {
  if (!outcome.failure) return prepared.events[prepared.events.length - 1].position;
  if (outcome.confirmedPrefix === 0) return undefined;
  return prepared.messages[outcome.confirmedPrefix - 1].position;
}

// ---- small helpers ----------------------------------------------------------

function waitForDrain(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
  });
}

/** Resolves true when `ms` passed (or `signal` aborted) before `work` settled. */
async function raceTimeout(work: Promise<void>, ms: number, signal: AbortSignal): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
    onAbort = () => resolve(true);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work.then(() => false), timeout]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
