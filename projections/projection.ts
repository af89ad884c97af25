import type { RecordedEvent } from '../src/eventstore/port';
import type { SqlExecutor } from '../src/infrastructure/database';
import type { Migration } from '../src/infrastructure/migrations';
import type { FoldedOrder } from './order-fold';

/** An order whose read-model row a batch changed, with the revision it now has. */
export interface ChangedOrder {
  orderId: string;
  revision: number;
}

/**
 * One read model: its tables (created by `migrations`, with unqualified names
 * so that a rebuild can create them in another schema), and a handler that
 * applies a batch of the global log inside the runner's transaction.
 */
export interface Projection {
  readonly name: string;
  /** Migrations of this projection's own tables, in order. Ids start with `projections/<name>/`. */
  readonly migrations: readonly Migration[];
  /** Tables the migrations create; a rebuild moves exactly these into the live schema. */
  readonly tables: readonly string[];
  /**
   * Applies events (global log order) with `tx`. Must be idempotent: an event
   * at or below a row's stored revision changes nothing. Throws
   * `ProjectionEventError` when the failing event is known.
   */
  applyBatch(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<ChangedOrder[]>;
}

/**
 * A projection whose rows are whole folded orders. Rebuilds fold each batch
 * once in memory for all such projections and write every changed order
 * with `writeOrders`, which must be idempotent like `applyBatch`.
 */
export interface OrderStateProjection extends Projection {
  /** Table with `order_id`, `revision` and `state` columns to reload folded states from. */
  readonly stateTable: string;
  writeOrders(tx: SqlExecutor, orders: readonly FoldedOrder[]): Promise<void>;
}

export function isOrderStateProjection(projection: Projection): projection is OrderStateProjection {
  return typeof (projection as Partial<OrderStateProjection>).writeOrders === 'function';
}

/** A handler failed on one known event. */
export class ProjectionEventError extends Error {
  constructor(
    readonly event: RecordedEvent,
    override readonly cause: unknown,
  ) {
    super(`Handling ${event.type} ${event.id} at ${event.position} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ProjectionEventError';
  }
}

/**
 * An event arrived whose revision is more than one past the row's: an event
 * of that stream was never applied. The projection stops rather than skip it.
 */
export class RevisionGapError extends Error {
  constructor(
    readonly streamId: string,
    readonly storedRevision: number,
    readonly eventRevision: number,
  ) {
    super(`Stream ${streamId} is at revision ${storedRevision} in the read model but the next event has revision ${eventRevision}`);
    this.name = 'RevisionGapError';
  }
}
