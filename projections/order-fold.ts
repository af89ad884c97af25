import type { RecordedEvent } from '../src/eventstore/port';
import { evolve, initialPedidoState, type PedidoState } from '../src/pedido';
import { orderIdFromStream, type PedidoEvent } from '../src/pedido/events';
import { ProjectionEventError, RevisionGapError } from './projection';

/** An order's folded state as a read model stores it: the domain state and the revision of its last event. */
export interface StoredOrderState {
  revision: number;
  state: PedidoState;
}

/** An order a batch changed: its new state and the last event applied to it. */
export interface FoldedOrder extends StoredOrderState {
  orderId: string;
  lastEvent: RecordedEvent;
}

/** Reads the stored state of the given orders; missing orders are simply absent from the map. */
export type StateLoader = (orderIds: readonly string[]) => Promise<Map<string, StoredOrderState>>;

/**
 * Folds a batch of the global log into the orders it touches, with the
 * domain's `evolve`, so a read model computes exactly what the write side
 * computes. Events of other streams are ignored. An event at or below the
 * stored revision was applied already and changes nothing. An event more than
 * one revision ahead means one was missed, so the fold stops there with
 * `ProjectionEventError` instead of skipping it.
 */
export async function foldBatch(events: readonly RecordedEvent[], loadStates: StateLoader): Promise<FoldedOrder[]> {
  const orderEvents = events.filter((event) => orderIdFromStream(event.streamId) !== undefined);
  if (orderEvents.length === 0) return [];

  const orderIds = [...new Set(orderEvents.map((event) => orderIdFromStream(event.streamId) as string))];
  const stored = await loadStates(orderIds);
  const changed = new Map<string, FoldedOrder>();

  for (const event of orderEvents) {
    const orderId = orderIdFromStream(event.streamId) as string;
    const current = changed.get(orderId) ?? stored.get(orderId) ?? { revision: -1, state: initialPedidoState };
    if (event.revision <= current.revision) continue;
    if (event.revision > current.revision + 1) {
      throw new ProjectionEventError(event, new RevisionGapError(event.streamId, current.revision, event.revision));
    }
    changed.set(orderId, { orderId, revision: event.revision, state: applyEvent(current.state, event), lastEvent: event });
  }
  return [...changed.values()];
}

function applyEvent(state: PedidoState, event: RecordedEvent): PedidoState {
  try {
    return evolve(state, { type: event.type, data: event.data } as PedidoEvent);
  } catch (error) {
    throw new ProjectionEventError(event, error);
  }
}

/** Builds a StateLoader over a table with `order_id`, `revision` and `state` columns. */
export function tableStateLoader(
  query: (sql: string, params: unknown[]) => Promise<{ rows: { order_id: string; revision: number; state: PedidoState }[] }>,
  table: string,
): StateLoader {
  return async (orderIds) => {
    const result = await query(`SELECT order_id, revision, state FROM ${table} WHERE order_id = ANY($1::text[])`, [orderIds]);
    return new Map(result.rows.map((row) => [row.order_id, { revision: Number(row.revision), state: row.state }]));
  };
}
