import type { RecordedEvent } from '../../src/eventstore/port';
import type { SqlExecutor } from '../../src/infrastructure/database';
import type { Migration } from '../../src/infrastructure/migrations';
import { formatAmount, totalsOf, type PedidoState } from '../../src/pedido';
import { foldBatch, tableStateLoader, type FoldedOrder } from '../order-fold';
import type { ChangedOrder, OrderStateProjection } from '../projection';

/**
 * Order details and the order list (ObtenerPedidoPorId, ObtenerHistorialDePedidos,
 * ListarPedidosDeCliente, payments and VerificarEstadoPago): one row per order
 * holding the domain state folded with `evolve`, plus the columns the list
 * filters on. Responses are rendered from the state with the domain's views.
 */
const migrations: readonly Migration[] = [
  {
    id: 'projections/orders/001-order-views',
    sql: `
CREATE TABLE IF NOT EXISTS order_views (
  order_id text PRIMARY KEY,
  revision integer NOT NULL,
  state json NOT NULL,
  customer_id text,
  status text,
  currency text,
  total_amount numeric,
  created_at timestamptz,
  updated_at timestamptz,
  has_anomalies boolean NOT NULL DEFAULT false,
  last_position text COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS order_views_created_idx ON order_views (created_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS order_views_customer_idx ON order_views (customer_id, created_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS order_views_status_idx ON order_views (status, created_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS order_views_total_idx ON order_views (total_amount);
CREATE INDEX IF NOT EXISTS order_views_anomalies_idx ON order_views (created_at DESC, order_id DESC) WHERE has_anomalies;
`,
  },
];

interface OrderViewRow {
  order_id: string;
  revision: number;
  state: PedidoState;
  customer_id: string | null;
  status: string | null;
  currency: string | null;
  total_amount: string | null;
  created_at: string | null;
  updated_at: string | null;
  has_anomalies: boolean;
  last_position: string;
}

function toRow(order: FoldedOrder): OrderViewRow {
  const { state } = order;
  return {
    order_id: order.orderId,
    revision: order.revision,
    state,
    customer_id: state.exists ? state.customerId : null,
    status: state.status,
    currency: state.exists ? state.currency : null,
    total_amount: state.exists ? formatAmount(totalsOf(state).total) : null,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
    has_anomalies: state.anomalies.length > 0,
    last_position: order.lastEvent.position,
  };
}

/**
 * Writes all rows of a batch with one multi-row upsert. The WHERE clause keeps
 * a row that already has a newer revision, so a replayed batch never moves an
 * order backwards.
 */
async function upsertRows(tx: SqlExecutor, rows: readonly OrderViewRow[]): Promise<void> {
  await tx.query(
    `INSERT INTO order_views AS v
       (order_id, revision, state, customer_id, status, currency, total_amount, created_at, updated_at, has_anomalies, last_position)
     SELECT order_id, revision, state, customer_id, status, currency, total_amount, created_at, updated_at, has_anomalies, last_position
       FROM json_to_recordset($1::json) AS r(
         order_id text, revision integer, state json, customer_id text, status text, currency text,
         total_amount numeric, created_at timestamptz, updated_at timestamptz, has_anomalies boolean, last_position text)
     ON CONFLICT (order_id) DO UPDATE SET
       revision = excluded.revision, state = excluded.state, customer_id = excluded.customer_id,
       status = excluded.status, currency = excluded.currency, total_amount = excluded.total_amount,
       created_at = excluded.created_at, updated_at = excluded.updated_at,
       has_anomalies = excluded.has_anomalies, last_position = excluded.last_position
     WHERE v.revision < excluded.revision`,
    [JSON.stringify(rows)],
  );
}

export const ordersProjection: OrderStateProjection = {
  name: 'orders',
  migrations,
  tables: ['order_views'],
  stateTable: 'order_views',
  async applyBatch(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<ChangedOrder[]> {
    const folded = await foldBatch(events, tableStateLoader((sql, params) => tx.query(sql, params), 'order_views'));
    if (folded.length === 0) return [];
    await upsertRows(tx, folded.map(toRow));
    return folded.map((order) => ({ orderId: order.orderId, revision: order.revision }));
  },
  async writeOrders(tx: SqlExecutor, orders: readonly FoldedOrder[]): Promise<void> {
    if (orders.length > 0) await upsertRows(tx, orders.map(toRow));
  },
};
