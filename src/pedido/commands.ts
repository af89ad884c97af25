import type { AddressData, MoneyData, PedidoEvent } from './events';

/** Clock, id source and limits the application passes to `decide`, so the domain never reads a clock itself. */
export interface DecideContext {
  /** Current business time, ISO 8601; becomes the time field of every fact decided. */
  readonly now: string;
  /** Makes a fresh unique id (not needed by today's commands, kept for ones that mint ids). */
  readonly newId: () => string;
  /** Largest quantity one line may hold. */
  readonly maxLineQuantity: number;
}

export interface NewLine {
  itemId: string;
  productId: string;
  quantity: number;
  unitPrice: MoneyData;
}

export interface CrearPedido {
  type: 'CrearPedido';
  orderId: string;
  customerId: string;
  currency: string;
  shippingAddress: AddressData | null;
  notes: string | null;
  items: NewLine[];
  shippingTotal: MoneyData;
}

/** Adding a product already on the order at the same unit price grows that line; `itemId` names a new line only. */
export interface AgregarProductoAPedido {
  type: 'AgregarProductoAPedido';
  itemId: string;
  productId: string;
  quantity: number;
  unitPrice: MoneyData;
}

export interface EliminarProductoDePedido {
  type: 'EliminarProductoDePedido';
  itemId: string;
}

export interface ModificarCantidad {
  type: 'ModificarCantidad';
  itemId: string;
  quantity: number;
}

/** A promotion as the application resolved it from the promotions table. */
export interface PromotionData {
  code: string;
  /** Percentage from 0 to 100 with at most two decimals, e.g. "12.5". */
  percentOff: string | null;
  amountOff: MoneyData | null;
  validFrom: string | null;
  validTo: string | null;
  minSubtotal: MoneyData | null;
  /** Redemptions still allowed; null for no limit. */
  redemptionsLeft: number | null;
}

export interface AplicarDescuento {
  type: 'AplicarDescuento';
  promotion: PromotionData;
}

export interface ActualizarCostoEnvio {
  type: 'ActualizarCostoEnvio';
  shippingTotal: MoneyData;
}

export interface ProcesarPago {
  type: 'ProcesarPago';
  paymentId: string;
  method: string;
  /** Null: what is due (minus payments already requested). */
  amount: MoneyData | null;
}

export interface ConfirmarPago {
  type: 'ConfirmarPago';
  paymentId: string;
  amount: MoneyData;
  method: string | null;
}

export interface RechazarPago {
  type: 'RechazarPago';
  paymentId: string;
  reason: string;
}

export interface ReservarInventario {
  type: 'ReservarInventario';
  reservationId: string | null;
}

export interface MarcarPedidoComoEnviado {
  type: 'MarcarPedidoComoEnviado';
  carrier: string | null;
  trackingNumber: string | null;
}

export interface ConfirmarEntrega {
  type: 'ConfirmarEntrega';
}

export interface CancelarPedido {
  type: 'CancelarPedido';
  reason: string | null;
}

export interface SolicitarReembolso {
  type: 'SolicitarReembolso';
  refundId: string;
  amount: MoneyData;
}

export interface CompletarReembolso {
  type: 'CompletarReembolso';
  refundId: string;
}

/** History import: allowed only on a new stream; the facts are stored as given once they fold. */
export interface ImportarPedidoHistorico {
  type: 'ImportarPedidoHistorico';
  facts: PedidoEvent[];
}

export type PedidoCommand =
  | CrearPedido
  | AgregarProductoAPedido
  | EliminarProductoDePedido
  | ModificarCantidad
  | AplicarDescuento
  | ActualizarCostoEnvio
  | ProcesarPago
  | ConfirmarPago
  | RechazarPago
  | ReservarInventario
  | MarcarPedidoComoEnviado
  | ConfirmarEntrega
  | CancelarPedido
  | SolicitarReembolso
  | CompletarReembolso
  | ImportarPedidoHistorico;

export type PedidoCommandType = PedidoCommand['type'];
