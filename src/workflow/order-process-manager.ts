import { Counter, Gauge } from 'prom-client';
import type { EventStore, Position, RecordedEvent } from '../eventstore/port';
import type { SqlDatabase, SqlExecutor } from '../infrastructure/database';
import type { BackgroundWorker, HealthCheck, HealthStatus } from '../infrastructure/health';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { metricsRegistry } from '../infrastructure/metrics';
import { ServiceUnavailableError, type PaymentGateway, type ProductCatalog } from '../integrations/ports';
import { DomainError } from '../pedido/errors';
import { reactToEvent } from './saga-reactions';
import {
  dueDeadlines,
  dueSteps,
  markFailed,
  nextDueAt,
  readCheckpoint,
  saveCheckpoint,
  scheduleRetry,
  setPaymentDeadline,
  type SagaStep,
} from './saga-store';
import { runStep, type OrderCommands } from './saga-steps';
import { sleep } from '../infrastructure/sleep';

const log = componentLogger('order-process-manager');

const stepOutcomes = new Counter({
  name: 'ordersvc_saga_steps_total',
  help: 'Process manager step attempts by kind and outcome (done, retry, failed)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [metricsRegistry],
});

const sagaActive = new Gauge({
  name: 'ordersvc_saga_active',
  help: '1 while this instance holds the process manager lock and runs the workflow, 0 on standby',
  registers: [metricsRegistry],
});

// Arbitrary constant shared by every instance: the one that holds this advisory lock runs the workflow.
const PROCESS_MANAGER_LOCK_KEY = 7_302_114_006;
const CHECKPOINT_NAME = 'order-process-manager';
const SESSION_CHECK_INTERVAL_MS = 5_000;
// Steps of different orders run side by side up to this many; the steps of one order run in turn.
const STEP_CONCURRENCY = 4;

export interface OrderProcessManagerOptions {
  db: SqlDatabase;
  eventStore: EventStore;
  orders: OrderCommands;
  productCatalog: ProductCatalog;
  paymentGateway: PaymentGateway;
  /** `PAYMENT_TIMEOUT` in milliseconds: an unanswered payment older than this cancels the order. */
  paymentTimeoutMs: number;
  /** Events read from the log per batch. */
  batchSize?: number;
  /** Steps and deadlines handled per round. */
  workPerRound?: number;
  /** Maximum wait for new events when nothing is due. */
  idleWaitMs?: number;
  /** How often a standby instance tries to take the lock. */
  lockRetryMs?: number;
  /** Attempts of a step that keeps failing with an unexpected error before it is parked as failed. */
  maxStepAttempts?: number;
  now?: () => Date;
}

/**
 * The order workflow: a process manager driven by the global event log.
 *
 * Each round has three parts, followed by a wait for new events or the next
 * due time:
 * 1. Read new events after the checkpoint and record the steps and deadlines
 *    they call for, in the transaction that saves the new checkpoint.
 * 2. Run the steps that are due: stock reservation, its release, refunds.
 * 3. Cancel orders whose payment deadline passed.
 * A session advisory lock lets one instance run it while others wait on standby.
 */
export class OrderProcessManager implements BackgroundWorker {
  readonly name = 'order-process-manager';
  private controller = new AbortController();
  private loop: Promise<void> | undefined;
  private checkpoint: Position | null = null;
  private state: 'stopped' | 'standby' | 'active' = 'stopped';
  private lastError: string | undefined;
  private readonly options: Required<Omit<OrderProcessManagerOptions, 'now'>> & { now: () => Date };

  constructor(options: OrderProcessManagerOptions) {
    this.options = {
      batchSize: 200,
      workPerRound: 20,
      idleWaitMs: 1_000,
      lockRetryMs: 5_000,
      maxStepAttempts: 10,
      now: () => new Date(),
      ...options,
    };
  }

  async start(): Promise<void> {
    if (this.loop) return;
    if (this.controller.signal.aborted) this.controller = new AbortController();
    this.state = 'standby';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
    this.loop = undefined;
    this.state = 'stopped';
    sagaActive.set(0);
  }

  healthCheck(): HealthCheck {
    return {
      name: this.name,
      required: false,
      check: async (): Promise<HealthStatus> => {
        if (this.state === 'stopped') return { status: 'disabled' };
        if (this.lastError) return { status: 'degraded', detail: this.lastError };
        return { status: 'up', detail: this.state };
      },
    };
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        await this.options.db.withSession(async (session) => {
          if (!(await this.tryLock(session))) {
            this.state = 'standby';
            await sleep(this.options.lockRetryMs, signal);
            return;
          }
          try {
            await this.runWhileLocked(session);
          } finally {
            await session.query('SELECT pg_advisory_unlock($1)', [PROCESS_MANAGER_LOCK_KEY]).catch(() => undefined);
          }
        });
      } catch (error) {
        if (signal.aborted) break;
        this.lastError = (error as Error).message;
        log.error('process manager round failed; retrying', errorFields(error));
        await sleep(1_000, signal);
      }
    }
  }

  private async tryLock(session: SqlExecutor): Promise<boolean> {
    const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PROCESS_MANAGER_LOCK_KEY]);
    return rows[0]?.locked === true;
  }

  private async runWhileLocked(session: SqlExecutor): Promise<void> {
    const signal = this.controller.signal;
    this.state = 'active';
    sagaActive.set(1);
    log.info('process manager active');
    let sessionCheckedAt = Date.now();
    try {
      this.checkpoint = await readCheckpoint(this.options.db, CHECKPOINT_NAME);
      while (!signal.aborted) {
        // The lock lives as long as the session: a session that broke means another instance may run now.
        if (Date.now() - sessionCheckedAt > SESSION_CHECK_INTERVAL_MS) {
          await session.query('SELECT 1');
          sessionCheckedAt = Date.now();
        }
        const reacted = await this.processEvents();
        const worked = await this.runDueWork();
        this.lastError = undefined;
        if (reacted || worked) continue;
        await this.options.eventStore.waitForEvents(this.checkpoint, await this.waitBudget(), signal);
      }
    } finally {
      sagaActive.set(0);
    }
  }

  /** Records the reactions to the next batch of events; returns whether there were any. */
  private async processEvents(): Promise<boolean> {
    const events = await this.options.eventStore.readAll(this.checkpoint, this.options.batchSize);
    if (events.length === 0) return false;
    const last = events[events.length - 1].position;
    await this.options.db.transaction(async (tx) => {
      for (const event of events) await reactToEvent(tx, event, { paymentTimeoutMs: this.options.paymentTimeoutMs });
      await saveCheckpoint(tx, CHECKPOINT_NAME, last);
    });
    this.checkpoint = last;
    logTriggers(events);
    return true;
  }

  /** Runs due steps and payment deadlines; returns whether any was due. */
  private async runDueWork(): Promise<boolean> {
    const now = this.options.now();
    const steps = await dueSteps(this.options.db, now, this.options.workPerRound);
    await this.runStepsByOrder(steps);
    const overdue = await dueDeadlines(this.options.db, now, this.options.workPerRound);
    for (const orderId of overdue) {
      if (this.controller.signal.aborted) return true;
      await this.checkPaymentDeadline(orderId);
    }
    return steps.length > 0 || overdue.length > 0;
  }

  private async runStepsByOrder(steps: readonly SagaStep[]): Promise<void> {
    const byOrder = new Map<string, SagaStep[]>();
    for (const step of steps) byOrder.set(step.orderId, [...(byOrder.get(step.orderId) ?? []), step]);
    const queue = [...byOrder.values()];
    const lane = async () => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        for (const step of group) {
          if (this.controller.signal.aborted) return;
          await this.attemptStep(step);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STEP_CONCURRENCY, queue.length) }, lane));
  }

  private async attemptStep(step: SagaStep): Promise<void> {
    try {
      await runStep(step, {
        db: this.options.db,
        orders: this.options.orders,
        productCatalog: this.options.productCatalog,
        paymentGateway: this.options.paymentGateway,
        signal: this.controller.signal,
      });
      stepOutcomes.inc({ kind: step.kind, outcome: 'done' });
    } catch (error) {
      await this.handleStepError(step, error);
    }
  }

  /** Schedules the step's next attempt. A service that is down is waited for without limit, other errors `maxStepAttempts` times. */
  private async handleStepError(step: SagaStep, error: unknown): Promise<void> {
    if (this.controller.signal.aborted) return;
    const attempts = step.attempts + 1;
    const message = (error as Error)?.message ?? String(error);
    const unavailable = error instanceof ServiceUnavailableError;
    if (!unavailable && attempts >= this.options.maxStepAttempts) {
      await markFailed(this.options.db, step, message);
      stepOutcomes.inc({ kind: step.kind, outcome: 'failed' });
      log.error('process manager step failed; needs manual follow-up', { orderId: step.orderId, step: step.step, attempts, ...errorFields(error) });
      return;
    }
    const hintMs = unavailable ? error.retryAfterSeconds * 1000 : 0;
    const delayMs = Math.max(hintMs, Math.min(300_000, 500 * 2 ** Math.min(attempts, 10)));
    await scheduleRetry(this.options.db, step, new Date(this.options.now().getTime() + delayMs), message);
    stepOutcomes.inc({ kind: step.kind, outcome: 'retry' });
    log.warn('process manager step will be retried', { orderId: step.orderId, step: step.step, attempts, delayMs, ...errorFields(error) });
  }

  /**
   * Cancels the order when a payment is still unanswered past its deadline;
   * re-arms the deadline for a later payment, or clears it.
   */
  private async checkPaymentDeadline(orderId: string): Promise<void> {
    const db = this.options.db;
    try {
      const order = await this.options.orders.load(orderId);
      const status = order?.state.status;
      const waiting = (order?.state.payments ?? []).filter((payment) => payment.status === 'requested' && payment.requestedAt);
      if (!order || (status !== 'pending' && status !== 'awaiting_payment') || waiting.length === 0) {
        await setPaymentDeadline(db, orderId, null);
        return;
      }
      const now = this.options.now().getTime();
      const deadlines = waiting.map((payment) => Date.parse(payment.requestedAt as string) + this.options.paymentTimeoutMs);
      const earliest = Math.min(...deadlines);
      if (earliest > now) {
        await setPaymentDeadline(db, orderId, new Date(earliest).toISOString());
        return;
      }
      await this.options.orders.execute(
        orderId,
        { type: 'CancelarPedido', reason: 'payment timed out' },
        { withinTransaction: async (tx) => setPaymentDeadline(tx, orderId, null) },
      );
      log.info('order cancelled: payment timed out', { orderId, paymentTimeoutMs: this.options.paymentTimeoutMs });
    } catch (error) {
      // Try again later rather than on every round.
      const retryAt = new Date(this.options.now().getTime() + (error instanceof DomainError ? 60_000 : 5_000)).toISOString();
      await setPaymentDeadline(db, orderId, retryAt).catch(() => undefined);
      log.warn('payment deadline check failed; retrying later', { orderId, ...errorFields(error) });
    }
  }

  private async waitBudget(): Promise<number> {
    const due = await nextDueAt(this.options.db);
    if (!due) return this.options.idleWaitMs;
    return Math.max(10, Math.min(this.options.idleWaitMs, due.getTime() - this.options.now().getTime()));
  }
}

function logTriggers(events: readonly RecordedEvent[]): void {
  const triggers = events.filter((event) => ['PedidoConfirmado', 'PedidoCancelado', 'PagoSolicitado'].includes(event.type));
  if (triggers.length > 0) log.debug('workflow events recorded', { events: events.length, triggers: triggers.length });
}
