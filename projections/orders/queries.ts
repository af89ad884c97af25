import type { SqlExecutor } from '../../src/infrastructure/database';
import { paymentStatusOf, paymentsOf, toOrderView, type PedidoState } from '../../src/pedido';

/** An order as the read model has it: the state folded up to `revision`. */
export interface StoredOrder {
  orderId: string;
  revision: number;
  state: PedidoState;
}

export async function findOrder(db: SqlExecutor, orderId: string): Promise<StoredOrder | undefined> {
  const result = await db.query<{ order_id: string; revision: number; state: PedidoState }>(
    'SELECT order_id, revision, state FROM order_views WHERE order_id = $1 AND status IS NOT NULL',
    [orderId],
  );
  const row = result.rows[0];
  return row ? { orderId: row.order_id, revision: Number(row.revision), state: row.state } : undefined;
}

export type OrderView = ReturnType<typeof toOrderView>;

/** Renders the REST order (ObtenerPedidoPorId) with its payments, using the domain's views. */
export function renderOrder(order: StoredOrder): OrderView & { payments: ReturnType<typeof paymentsOf> } {
  return { ...toOrderView(order.state, order.revision), payments: paymentsOf(order.state) };
}

export function renderPayments(order: StoredOrder): { items: ReturnType<typeof paymentsOf> } {
  return { items: paymentsOf(order.state) };
}

export function renderPaymentStatus(order: StoredOrder): ReturnType<typeof paymentStatusOf> {
  return paymentStatusOf(order.state);
}

/** Position in the list's order (createdAt descending, then id descending) after which a page starts. */
export interface ListCursor {
  createdAt: string;
  orderId: string;
}

export interface OrderListFilter {
  customerId?: string;
  statuses?: readonly string[];
  /** Inclusive lower bound of createdAt (ISO 8601). */
  createdFrom?: string;
  /** Exclusive upper bound of createdAt (ISO 8601). */
  createdTo?: string;
  /** Decimal amounts compared with the order total in its own currency. */
  minTotal?: string;
  maxTotal?: string;
  currency?: string;
  hasAnomalies?: boolean;
  limit: number;
  cursor?: ListCursor;
}

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.orderId]), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`; returns undefined for anything else. */
export function decodeCursor(text: string): ListCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, orderId] = value as unknown[];
    if (typeof createdAt !== 'string' || typeof orderId !== 'string') return undefined;
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(createdAt)) return undefined;
    return { createdAt, orderId };
  } catch {
    return undefined;
  }
}

/** Builds the WHERE clause of the list; every condition uses a column indexed for it. */
function listConditions(filter: OrderListFilter): { where: string; params: unknown[] } {
  const conditions = ['status IS NOT NULL'];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.customerId !== undefined) add((p) => `customer_id = ${p}`, filter.customerId);
  if (filter.statuses !== undefined) add((p) => `status = ANY(${p}::text[])`, filter.statuses);
  if (filter.createdFrom !== undefined) add((p) => `created_at >= ${p}::timestamptz`, filter.createdFrom);
  if (filter.createdTo !== undefined) add((p) => `created_at < ${p}::timestamptz`, filter.createdTo);
  if (filter.minTotal !== undefined) add((p) => `total_amount >= ${p}::numeric`, filter.minTotal);
  if (filter.maxTotal !== undefined) add((p) => `total_amount <= ${p}::numeric`, filter.maxTotal);
  if (filter.currency !== undefined) add((p) => `currency = ${p}`, filter.currency);
  if (filter.hasAnomalies !== undefined) add((p) => `has_anomalies = ${p}::boolean`, filter.hasAnomalies);
  if (filter.cursor !== undefined) {
    params.push(filter.cursor.createdAt, filter.cursor.orderId);
    conditions.push(`(created_at, order_id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  return { where: conditions.join(' AND '), params };
}

/** Returns one page of orders, newest first. `nextCursor` is null on the last page. */
export async function listOrders(db: SqlExecutor, filter: OrderListFilter): Promise<{ items: OrderView[]; nextCursor: string | null }> {
  const { where, params } = listConditions(filter);
  params.push(filter.limit + 1);
  const result = await db.query<{ order_id: string; revision: number; state: PedidoState; cursor_created_at: string }>(
    `SELECT order_id, revision, state,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_created_at
       FROM order_views
      WHERE ${where}
      ORDER BY created_at DESC, order_id DESC
      LIMIT $${params.length}`,
    params,
  );
  const rows = result.rows.slice(0, filter.limit);
  const last = rows[rows.length - 1];
  const hasMore = result.rows.length > filter.limit;
  return {
    items: rows.map((row) => toOrderView(row.state, Number(row.revision))),
    nextCursor: hasMore && last ? encodeCursor({ createdAt: last.cursor_created_at, orderId: last.order_id }) : null,
  };
}
