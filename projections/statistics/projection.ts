import type { RecordedEvent } from '../../src/eventstore/port';
import type { SqlExecutor } from '../../src/infrastructure/database';
import type { Migration } from '../../src/infrastructure/migrations';
import { totalsOf, type PedidoState } from '../../src/pedido';
import { foldBatch, tableStateLoader, type FoldedOrder } from '../order-fold';
import type { ChangedOrder, OrderStateProjection } from '../projection';

/**
 * Facts for ObtenerEstadísticasPedidos: one row per created order with its
 * business times, status, total and confirmed payments by method, in minor
 * units. The folded state is kept so each event is applied with `evolve`,
 * exactly as on the write side.
 */
const migrations: readonly Migration[] = [
  {
    id: 'projections/statistics/001-order-stats',
    sql: `
CREATE TABLE IF NOT EXISTS order_stats (
  order_id text PRIMARY KEY,
  revision integer NOT NULL,
  state json NOT NULL,
  currency text,
  status text,
  created_at timestamptz,
  total_minor bigint,
  confirmed_at timestamptz,
  shipped_at timestamptz,
  delivered_at timestamptz,
  cancelled_at timestamptz,
  paid_by_method jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS order_stats_currency_created_idx ON order_stats (currency, created_at);
`,
  },
];

interface OrderStatsRow {
  order_id: string;
  revision: number;
  state: PedidoState;
  currency: string | null;
  status: string | null;
  created_at: string | null;
  total_minor: number | null;
  confirmed_at: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  cancelled_at: string | null;
  paid_by_method: Record<string, number>;
}

/** Sums the confirmed payments per method, in minor units. */
function paidByMethod(state: PedidoState): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const payment of state.payments) {
    if (payment.status !== 'confirmed') continue;
    sums[payment.method] = (sums[payment.method] ?? 0) + payment.amount.minor;
  }
  return sums;
}

function toRow(order: FoldedOrder): OrderStatsRow {
  const { state } = order;
  return {
    order_id: order.orderId,
    revision: order.revision,
    state,
    currency: state.exists ? state.currency : null,
    status: state.status,
    created_at: state.createdAt,
    total_minor: state.exists ? totalsOf(state).total.minor : null,
    confirmed_at: state.confirmedAt,
    shipped_at: state.shippedAt,
    delivered_at: state.deliveredAt,
    cancelled_at: state.cancelledAt,
    paid_by_method: paidByMethod(state),
  };
}

async function upsertRows(tx: SqlExecutor, rows: readonly OrderStatsRow[]): Promise<void> {
  await tx.query(
    `INSERT INTO order_stats AS s
       (order_id, revision, state, currency, status, created_at, total_minor, confirmed_at, shipped_at, delivered_at, cancelled_at, paid_by_method)
     SELECT order_id, revision, state, currency, status, created_at, total_minor, confirmed_at, shipped_at, delivered_at, cancelled_at, paid_by_method
       FROM json_to_recordset($1::json) AS r(
         order_id text, revision integer, state json, currency text, status text, created_at timestamptz,
         total_minor bigint, confirmed_at timestamptz, shipped_at timestamptz, delivered_at timestamptz,
         cancelled_at timestamptz, paid_by_method jsonb)
     ON CONFLICT (order_id) DO UPDATE SET
       revision = excluded.revision, state = excluded.state, currency = excluded.currency, status = excluded.status,
       created_at = excluded.created_at, total_minor = excluded.total_minor, confirmed_at = excluded.confirmed_at,
       shipped_at = excluded.shipped_at, delivered_at = excluded.delivered_at, cancelled_at = excluded.cancelled_at,
       paid_by_method = excluded.paid_by_method
     WHERE s.revision < excluded.revision`,
    [JSON.stringify(rows)],
  );
}

export const statisticsProjection: OrderStateProjection = {
  name: 'statistics',
  migrations,
  tables: ['order_stats'],
  stateTable: 'order_stats',
  async applyBatch(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<ChangedOrder[]> {
    const folded = await foldBatch(events, tableStateLoader((sql, params) => tx.query(sql, params), 'order_stats'));
    if (folded.length === 0) return [];
    await upsertRows(tx, folded.map(toRow));
    return folded.map((order) => ({ orderId: order.orderId, revision: order.revision }));
  },
  async writeOrders(tx: SqlExecutor, orders: readonly FoldedOrder[]): Promise<void> {
    if (orders.length > 0) await upsertRows(tx, orders.map(toRow));
  },
};
