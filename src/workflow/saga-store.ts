import type { Position } from '../eventstore/port';
import type { SqlExecutor } from '../infrastructure/database';
import type { Migration } from '../infrastructure/migrations';

/**
 * Persistent state of the order process manager: its checkpoint in the
 * global log, one instance per live order (with the payment deadline), and
 * one row per step. A step row is written before its external call and again
 * after it, so a restart resumes a step that was running, with the same
 * idempotency key, instead of starting a second one.
 */
export const processManagerMigrations: Migration[] = [
  {
    id: 'workflow/001-saga-tables',
    sql: `
CREATE TABLE IF NOT EXISTS saga_checkpoints (
  name text PRIMARY KEY,
  position text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS saga_instances (
  order_id text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('active', 'cancelled', 'finished')),
  reservation_id text,
  payment_deadline timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS saga_instances_deadline_idx ON saga_instances (payment_deadline) WHERE payment_deadline IS NOT NULL;
CREATE TABLE IF NOT EXISTS saga_steps (
  order_id text NOT NULL,
  step text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('reserve_stock', 'release_stock', 'refund')),
  status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  idempotency_key text NOT NULL UNIQUE,
  input jsonb NOT NULL,
  result jsonb,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, step)
);
CREATE INDEX IF NOT EXISTS saga_steps_due_idx ON saga_steps (next_attempt_at) WHERE status IN ('pending', 'running');
`,
  },
];

export type StepKind = 'reserve_stock' | 'release_stock' | 'refund';
export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface StepInput {
  /** Id of the stored event that called for the step (causation of the commands it sends). */
  triggerEventId: string;
  correlationId?: string;
  /** release_stock: the reservation to give back. */
  reservationId?: string;
  /** refund: the refund id, fixed when the step is created so every attempt uses it. */
  refundId?: string;
}

export interface SagaStep {
  orderId: string;
  step: string;
  kind: StepKind;
  status: StepStatus;
  idempotencyKey: string;
  input: StepInput;
  result: Record<string, unknown> | null;
  attempts: number;
}

export interface SagaInstance {
  orderId: string;
  status: 'active' | 'cancelled' | 'finished';
  reservationId: string | null;
  paymentDeadline: string | null;
}

export async function readCheckpoint(db: SqlExecutor, name: string): Promise<Position | null> {
  const { rows } = await db.query<{ position: string | null }>('SELECT position FROM saga_checkpoints WHERE name = $1', [name]);
  return rows[0]?.position ?? null;
}

export async function saveCheckpoint(tx: SqlExecutor, name: string, position: Position): Promise<void> {
  await tx.query(
    `INSERT INTO saga_checkpoints (name, position) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
    [name, position],
  );
}

export async function findInstance(db: SqlExecutor, orderId: string): Promise<SagaInstance | undefined> {
  const { rows } = await db.query<{ order_id: string; status: SagaInstance['status']; reservation_id: string | null; payment_deadline: Date | null }>(
    'SELECT order_id, status, reservation_id, payment_deadline FROM saga_instances WHERE order_id = $1',
    [orderId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    orderId: row.order_id,
    status: row.status,
    reservationId: row.reservation_id,
    paymentDeadline: row.payment_deadline ? new Date(row.payment_deadline).toISOString() : null,
  };
}

export async function createInstance(tx: SqlExecutor, orderId: string): Promise<void> {
  await tx.query(`INSERT INTO saga_instances (order_id, status) VALUES ($1, 'active') ON CONFLICT (order_id) DO NOTHING`, [orderId]);
}

export async function updateInstance(
  tx: SqlExecutor,
  orderId: string,
  changes: { status?: SagaInstance['status']; reservationId?: string | null },
): Promise<void> {
  await tx.query(
    `UPDATE saga_instances SET
       status = COALESCE($2, status),
       reservation_id = CASE WHEN $3::boolean THEN $4 ELSE reservation_id END,
       updated_at = now()
     WHERE order_id = $1`,
    [orderId, changes.status ?? null, changes.reservationId !== undefined, changes.reservationId ?? null],
  );
}

/** Sets the payment deadline, keeping an earlier one that is already set. */
export async function armPaymentDeadline(tx: SqlExecutor, orderId: string, deadline: string): Promise<void> {
  await tx.query(
    `UPDATE saga_instances SET payment_deadline = LEAST(COALESCE(payment_deadline, $2::timestamptz), $2::timestamptz), updated_at = now()
     WHERE order_id = $1`,
    [orderId, deadline],
  );
}

/** Replaces the payment deadline; null clears it. */
export async function setPaymentDeadline(tx: SqlExecutor, orderId: string, deadline: string | null): Promise<void> {
  await tx.query('UPDATE saga_instances SET payment_deadline = $2, updated_at = now() WHERE order_id = $1', [orderId, deadline]);
}

export async function dueDeadlines(db: SqlExecutor, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ order_id: string }>(
    'SELECT order_id FROM saga_instances WHERE payment_deadline <= $1 ORDER BY payment_deadline LIMIT $2',
    [now.toISOString(), limit],
  );
  return rows.map((row) => row.order_id);
}

/**
 * Adds a step unless one with that name exists for the order; returns whether
 * it was added. The idempotency key defaults to `ordersvc:<orderId>:<step>`.
 */
export async function addStep(
  tx: SqlExecutor,
  orderId: string,
  step: string,
  kind: StepKind,
  input: StepInput,
  idempotencyKey = `ordersvc:${orderId}:${step}`,
): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO saga_steps (order_id, step, kind, status, idempotency_key, input)
     VALUES ($1, $2, $3, 'pending', $4, $5::jsonb) ON CONFLICT (order_id, step) DO NOTHING`,
    [orderId, step, kind, idempotencyKey, JSON.stringify(input)],
  );
  return result.rowCount > 0;
}

interface StepRow {
  order_id: string;
  step: string;
  kind: StepKind;
  status: StepStatus;
  idempotency_key: string;
  input: StepInput | string;
  result: Record<string, unknown> | string | null;
  attempts: number;
}

const STEP_COLUMNS = 'order_id, step, kind, status, idempotency_key, input, result, attempts';

export async function dueSteps(db: SqlExecutor, now: Date, limit: number): Promise<SagaStep[]> {
  const { rows } = await db.query<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM saga_steps
     WHERE status IN ('pending', 'running') AND next_attempt_at <= $1
     ORDER BY next_attempt_at, created_at LIMIT $2`,
    [now.toISOString(), limit],
  );
  return rows.map(toStep);
}

export async function findSteps(db: SqlExecutor, orderId: string): Promise<SagaStep[]> {
  const { rows } = await db.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM saga_steps WHERE order_id = $1 ORDER BY created_at, step`, [orderId]);
  return rows.map(toStep);
}

/** Records that the step's external call is about to be made. */
export async function markRunning(db: SqlExecutor, step: SagaStep): Promise<void> {
  await db.query(
    `UPDATE saga_steps SET status = 'running', attempts = attempts + 1, updated_at = now() WHERE order_id = $1 AND step = $2`,
    [step.orderId, step.step],
  );
}

/** Records what an external call returned, before the command that follows it. */
export async function saveResult(db: SqlExecutor, step: SagaStep, result: Record<string, unknown>): Promise<void> {
  await db.query('UPDATE saga_steps SET result = $3::jsonb, updated_at = now() WHERE order_id = $1 AND step = $2', [
    step.orderId,
    step.step,
    JSON.stringify(result),
  ]);
}

export async function markDone(tx: SqlExecutor, step: SagaStep, result: Record<string, unknown>): Promise<void> {
  await tx.query(
    `UPDATE saga_steps SET status = 'done', result = $3::jsonb, last_error = NULL, updated_at = now() WHERE order_id = $1 AND step = $2`,
    [step.orderId, step.step, JSON.stringify(result)],
  );
}

export async function markFailed(db: SqlExecutor, step: SagaStep, error: string): Promise<void> {
  await db.query(`UPDATE saga_steps SET status = 'failed', last_error = $3, updated_at = now() WHERE order_id = $1 AND step = $2`, [
    step.orderId,
    step.step,
    error.slice(0, 1000),
  ]);
}

/** Puts the step back in line for another attempt at `nextAttemptAt`. */
export async function scheduleRetry(db: SqlExecutor, step: SagaStep, nextAttemptAt: Date, error: string): Promise<void> {
  await db.query(
    `UPDATE saga_steps SET status = 'pending', next_attempt_at = $3, last_error = $4, updated_at = now() WHERE order_id = $1 AND step = $2`,
    [step.orderId, step.step, nextAttemptAt.toISOString(), error.slice(0, 1000)],
  );
}

/** Time of the earliest step or deadline that is not due yet, to bound the next wait. */
export async function nextDueAt(db: SqlExecutor): Promise<Date | undefined> {
  const { rows } = await db.query<{ due: Date | string | null }>(
    `SELECT LEAST(
       (SELECT min(next_attempt_at) FROM saga_steps WHERE status IN ('pending', 'running')),
       (SELECT min(payment_deadline) FROM saga_instances WHERE payment_deadline IS NOT NULL)
     ) AS due`,
  );
  const due = rows[0]?.due;
  return due ? new Date(due) : undefined;
}

function toStep(row: StepRow): SagaStep {
  return {
    orderId: row.order_id,
    step: row.step,
    kind: row.kind,
    status: row.status,
    idempotencyKey: row.idempotency_key,
    input: typeof row.input === 'string' ? JSON.parse(row.input) : row.input,
    result: typeof row.result === 'string' ? JSON.parse(row.result) : row.result,
    attempts: Number(row.attempts),
  };
}
