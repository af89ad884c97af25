/**
 * Stored events of the Pedido stream (`pedido-<orderId>`): past-tense facts.
 * Money travels as `{ amount, currency }` with `amount` a decimal string in
 * the currency's ISO 4217 minor-unit digits, the same shape as the REST API.
 * Times are ISO 8601 strings named for the fact; the event's
 * `metadata.occurredAt` carries the same business time.
 */
export interface MoneyData {
  amount: string;
  currency: string;
}

export interface AddressData {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  region?: string;
  country: string;
}

export interface PedidoCreado {
  type: 'PedidoCreado';
  data: {
    orderId: string;
    customerId: string;
    currency: string;
    shippingAddress: AddressData | null;
    notes: string | null;
    createdAt: string;
  };
}

export interface ProductoAgregado {
  type: 'ProductoAgregado';
  data: { itemId: string; productId: string; quantity: number; unitPrice: MoneyData; addedAt: string };
}

/** An existing line grew because the same product was added again. */
export interface CantidadModificada {
  type: 'CantidadModificada';
  data: { itemId: string; productId: string; previousQuantity: number; quantity: number; changedAt: string };
}

export interface ProductoEliminado {
  type: 'ProductoEliminado';
  data: { itemId: string; productId: string; removedAt: string };
}

export interface DescuentoAplicado {
  type: 'DescuentoAplicado';
  data: {
    code: string;
    /** Percentage with at most two decimals, as a decimal string ("12.5"), or null for a fixed amount. */
    percentOff: string | null;
    amountOff: MoneyData | null;
    appliedAt: string;
  };
}

export interface CostoEnvioActualizado {
  type: 'CostoEnvioActualizado';
  data: { shippingTotal: MoneyData; updatedAt: string };
}

export interface PagoSolicitado {
  type: 'PagoSolicitado';
  data: { paymentId: string; method: string; amount: MoneyData; requestedAt: string };
}

export interface PagoRecibido {
  type: 'PagoRecibido';
  data: { paymentId: string; method: string; amount: MoneyData; receivedAt: string };
}

export interface PagoRechazado {
  type: 'PagoRechazado';
  data: { paymentId: string; reason: string; rejectedAt: string };
}

export interface PedidoConfirmado {
  type: 'PedidoConfirmado';
  data: { orderNumber: string; total: MoneyData; confirmedAt: string };
}

/** Stock was reserved with ProductSvc (or the order was marked as being prepared): status `preparing`. */
export interface InventarioReservado {
  type: 'InventarioReservado';
  data: { reservationId: string | null; reservedAt: string };
}

export interface PedidoEnviado {
  type: 'PedidoEnviado';
  data: { carrier: string | null; trackingNumber: string | null; shippedAt: string };
}

export interface PedidoEntregado {
  type: 'PedidoEntregado';
  data: { deliveredAt: string };
}

export interface PedidoCancelado {
  type: 'PedidoCancelado';
  data: { reason: string | null; cancelledAt: string; refundDue: MoneyData };
}

export interface ReembolsoSolicitado {
  type: 'ReembolsoSolicitado';
  data: { refundId: string; amount: MoneyData; requestedAt: string };
}

export interface ReembolsoCompletado {
  type: 'ReembolsoCompletado';
  data: { refundId: string; amount: MoneyData; refundedAt: string };
}

/**
 * Imported history that today's rules would not allow (e.g. cancelled after
 * shipping, payments that do not add up). The order keeps every fact; this
 * event records why it is flagged.
 */
export interface AnomaliasRegistradas {
  type: 'AnomaliasRegistradas';
  data: { reasons: string[]; source: string; detectedAt: string };
}

export type PedidoEvent =
  | PedidoCreado
  | ProductoAgregado
  | CantidadModificada
  | ProductoEliminado
  | DescuentoAplicado
  | CostoEnvioActualizado
  | PagoSolicitado
  | PagoRecibido
  | PagoRechazado
  | PedidoConfirmado
  | InventarioReservado
  | PedidoEnviado
  | PedidoEntregado
  | PedidoCancelado
  | ReembolsoSolicitado
  | ReembolsoCompletado
  | AnomaliasRegistradas;

export type PedidoEventType = PedidoEvent['type'];

export const pedidoEventTypes: readonly PedidoEventType[] = [
  'PedidoCreado',
  'ProductoAgregado',
  'CantidadModificada',
  'ProductoEliminado',
  'DescuentoAplicado',
  'CostoEnvioActualizado',
  'PagoSolicitado',
  'PagoRecibido',
  'PagoRechazado',
  'PedidoConfirmado',
  'InventarioReservado',
  'PedidoEnviado',
  'PedidoEntregado',
  'PedidoCancelado',
  'ReembolsoSolicitado',
  'ReembolsoCompletado',
  'AnomaliasRegistradas',
];

/** Current schema version of every Pedido event; an upcaster maps older versions on read. */
export const PEDIDO_EVENT_SCHEMA_VERSION = 1;

export const STREAM_PREFIX = 'pedido-';

export function orderStreamId(orderId: string): string {
  return `${STREAM_PREFIX}${orderId}`;
}

export function orderIdFromStream(streamId: string): string | undefined {
  return streamId.startsWith(STREAM_PREFIX) ? streamId.slice(STREAM_PREFIX.length) : undefined;
}

export type OrderStatus = 'pending' | 'awaiting_payment' | 'confirmed' | 'preparing' | 'shipped' | 'delivered' | 'cancelled';
