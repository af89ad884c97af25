import { type PedidoState, evolve, initialPedidoState, toOrderView } from '../pedido';
import type { OrderFold, OrderSnapshot } from './contracts';

/** The domain's evolve and order view, as the published-event mapping uses them. */
export const pedidoFold: OrderFold<PedidoState> = {
  initialState: initialPedidoState,
  evolve,
  summary(state: PedidoState) {
    return { customerId: state.customerId, status: state.status ?? 'pending' };
  },
  snapshot(state: PedidoState, revision: number): OrderSnapshot {
    const view = toOrderView(state, revision);
    return {
      customerId: view.customerId,
      currency: view.currency,
      status: view.status,
      items: view.items,
      subtotal: view.subtotal,
      discountTotal: view.discountTotal,
      shippingTotal: view.shippingTotal,
      total: view.total,
      paid: view.paid,
      due: view.due,
    };
  },
};
