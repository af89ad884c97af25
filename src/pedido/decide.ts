import type {
  ActualizarCostoEnvio,
  AgregarProductoAPedido,
  AplicarDescuento,
  CancelarPedido,
  CompletarReembolso,
  ConfirmarEntrega,
  ConfirmarPago,
  CrearPedido,
  DecideContext,
  EliminarProductoDePedido,
  ImportarPedidoHistorico,
  MarcarPedidoComoEnviado,
  ModificarCantidad,
  NewLine,
  PedidoCommand,
  ProcesarPago,
  RechazarPago,
  ReservarInventario,
  SolicitarReembolso,
} from './commands';
import { DomainError } from './errors';
import type { MoneyData, OrderStatus, PedidoConfirmado, PedidoEvent, ProductoAgregado } from './events';
import { checkImportedHistory } from './import';
import {
  addMoney,
  compareMoney,
  digitsOf,
  formatAmount,
  fromMoneyData,
  isZero,
  parsePercentHundredths,
  subtractMoney,
  toMoneyData,
  type Money,
  type ParseMoneyOptions,
} from './money';
import { assertNever, type PedidoState } from './state';
import { totalsOf } from './totals';

// ---------------------------------------------------------------------------
// Shared checks

function requireExisting(state: PedidoState): OrderStatus {
  if (!state.exists || state.status === null) throw new DomainError('ORDER_NOT_FOUND');
  return state.status;
}

/** Lines, discount and shipping cost change only while the order is `pending`. */
function requireEditable(state: PedidoState): void {
  const status = requireExisting(state);
  if (status !== 'pending') throw new DomainError('ORDER_NOT_EDITABLE', { status });
}

function requireTransition(state: PedidoState, from: readonly OrderStatus[], to: OrderStatus): void {
  const status = requireExisting(state);
  if (!from.includes(status)) throw new DomainError('INVALID_STATUS_TRANSITION', { from: status, to });
}

/** Quantities are integers from 1 to `maxLineQuantity`. */
function requireQuantity(quantity: unknown, context: DecideContext): number {
  const valid = typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 1 && quantity <= context.maxLineQuantity;
  if (!valid) throw new DomainError('QUANTITY_INVALID', { quantity: String(quantity), max: context.maxLineQuantity });
  return quantity;
}

function orderMoney(state: PedidoState, data: MoneyData, options: ParseMoneyOptions = {}): Money {
  return fromMoneyData(data, state.currency, options);
}

function moneyParams(money: Money): { currency: string } {
  return { currency: money.currency };
}

// ---------------------------------------------------------------------------
// Order number

/**
 * Derives the order number from the confirmation date (UTC) and the first
 * twelve letters or digits of the order id: `PED-20261204-1A2B3C4D5E6F`.
 * Twelve hex digits of a random UUID carry 48 random bits, so among 10,000
 * orders confirmed on one day two share a number with a chance of about
 * 2 in 10 million (birthday bound). The order id stays the key.
 */
export function orderNumberFor(orderId: string, confirmedAt: string): string {
  const time = Date.parse(confirmedAt);
  const isoDate = Number.isNaN(time) ? confirmedAt.slice(0, 10) : new Date(time).toISOString().slice(0, 10);
  const date = isoDate.replace(/-/g, '');
  const idPart = orderId.replace(/[^0-9A-Za-z]/g, '').slice(0, 12).toUpperCase().padEnd(12, '0');
  return `PED-${date}-${idPart}`;
}

function confirmation(state: PedidoState, total: Money, context: DecideContext): PedidoConfirmado {
  return {
    type: 'PedidoConfirmado',
    data: { orderNumber: orderNumberFor(state.orderId, context.now), total: toMoneyData(total), confirmedAt: context.now },
  };
}

// ---------------------------------------------------------------------------
// Lines

interface PlannedLine {
  itemId: string;
  productId: string;
  quantity: number;
  unitPrice: Money;
}

/** Merges the new order's items: the same product at the same price becomes one line. */
function planInitialLines(items: readonly NewLine[], currency: string, context: DecideContext): PlannedLine[] {
  const lines: PlannedLine[] = [];
  for (const item of items) {
    const quantity = requireQuantity(item.quantity, context);
    const unitPrice = fromMoneyData(item.unitPrice, currency);
    const same = lines.find((line) => line.productId === item.productId && line.unitPrice.minor === unitPrice.minor);
    if (same) {
      same.quantity = requireQuantity(same.quantity + quantity, context);
      continue;
    }
    if (lines.some((line) => line.itemId === item.itemId)) throw new DomainError('ITEM_ALREADY_EXISTS', { itemId: item.itemId });
    lines.push({ itemId: item.itemId, productId: item.productId, quantity, unitPrice });
  }
  return lines;
}

function lineAdded(line: PlannedLine, context: DecideContext): ProductoAgregado {
  return {
    type: 'ProductoAgregado',
    data: {
      itemId: line.itemId,
      productId: line.productId,
      quantity: line.quantity,
      unitPrice: toMoneyData(line.unitPrice),
      addedAt: context.now,
    },
  };
}

function findLine(state: PedidoState, itemId: string) {
  const line = state.lines.find((candidate) => candidate.itemId === itemId);
  if (!line) throw new DomainError('ITEM_NOT_FOUND', { itemId });
  return line;
}

// ---------------------------------------------------------------------------
// One function per command

function crearPedido(command: CrearPedido, state: PedidoState, context: DecideContext): PedidoEvent[] {
  if (state.exists) throw new DomainError('ORDER_ALREADY_EXISTS');
  digitsOf(command.currency);
  const shipping = fromMoneyData(command.shippingTotal, command.currency);
  const lines = planInitialLines(command.items, command.currency, context);

  const events: PedidoEvent[] = [
    {
      type: 'PedidoCreado',
      data: {
        orderId: command.orderId,
        customerId: command.customerId,
        currency: command.currency,
        shippingAddress: command.shippingAddress,
        notes: command.notes,
        createdAt: context.now,
      },
    },
    ...lines.map((line) => lineAdded(line, context)),
  ];
  if (!isZero(shipping)) {
    events.push({ type: 'CostoEnvioActualizado', data: { shippingTotal: toMoneyData(shipping), updatedAt: context.now } });
  }
  return events;
}

function agregarProducto(command: AgregarProductoAPedido, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireEditable(state);
  const quantity = requireQuantity(command.quantity, context);
  const unitPrice = orderMoney(state, command.unitPrice);

  const same = state.lines.find((line) => line.productId === command.productId && line.unitPrice.minor === unitPrice.minor);
  if (same) {
    const grown = requireQuantity(same.quantity + quantity, context);
    return [
      {
        type: 'CantidadModificada',
        data: { itemId: same.itemId, productId: same.productId, previousQuantity: same.quantity, quantity: grown, changedAt: context.now },
      },
    ];
  }

  if (state.lines.some((line) => line.itemId === command.itemId)) {
    throw new DomainError('ITEM_ALREADY_EXISTS', { itemId: command.itemId });
  }
  return [lineAdded({ itemId: command.itemId, productId: command.productId, quantity, unitPrice }, context)];
}

function eliminarProducto(command: EliminarProductoDePedido, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireEditable(state);
  const line = findLine(state, command.itemId);
  return [{ type: 'ProductoEliminado', data: { itemId: line.itemId, productId: line.productId, removedAt: context.now } }];
}

/** Setting the quantity a line already has appends nothing (an idempotent PUT). */
function modificarCantidad(command: ModificarCantidad, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireEditable(state);
  const line = findLine(state, command.itemId);
  const quantity = requireQuantity(command.quantity, context);
  if (quantity === line.quantity) return [];
  return [
    {
      type: 'CantidadModificada',
      data: { itemId: line.itemId, productId: line.productId, previousQuantity: line.quantity, quantity, changedAt: context.now },
    },
  ];
}

function timeOf(iso: string | null): number | undefined {
  if (iso === null) return undefined;
  return Date.parse(iso);
}

/**
 * Applies one promotion code. Checks, in this order, raising DISCOUNT_INVALID
 * with the first failing reason: malformed (not exactly one of percentOff and
 * amountOff, a bad percentage, amount or time), currency, not_yet_valid
 * (now < validFrom), expired (now > validTo), exhausted (no redemptions
 * left), min_subtotal (subtotal below the minimum). The minimum is checked
 * only when the code is applied. Removing lines later keeps the discount: a
 * percentage follows the new subtotal and a fixed amount is capped by it.
 */
function aplicarDescuento(command: AplicarDescuento, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireEditable(state);
  const promotion = command.promotion;
  if (state.discount !== null) {
    throw new DomainError('DISCOUNT_ALREADY_APPLIED', { code: promotion.code, appliedCode: state.discount.code });
  }
  const invalid = (reason: string) => new DomainError('DISCOUNT_INVALID', { code: promotion.code, reason });

  if ((promotion.percentOff === null) === (promotion.amountOff === null)) throw invalid('malformed');
  if (promotion.percentOff !== null && parsePercentHundredths(promotion.percentOff) === undefined) throw invalid('malformed');
  for (const money of [promotion.amountOff, promotion.minSubtotal]) {
    if (money !== null && money.currency !== state.currency) throw invalid('currency');
  }
  const parseOrMalformed = (data: MoneyData | null): Money | null => {
    if (data === null) return null;
    try {
      return orderMoney(state, data);
    } catch {
      throw invalid('malformed');
    }
  };
  const amountOff = parseOrMalformed(promotion.amountOff);
  const minSubtotal = parseOrMalformed(promotion.minSubtotal);

  const now = Date.parse(context.now);
  if (Number.isNaN(now)) throw new Error(`DecideContext.now must be an ISO 8601 time, got ${JSON.stringify(context.now)}`);
  const validFrom = timeOf(promotion.validFrom);
  const validTo = timeOf(promotion.validTo);
  if (Number.isNaN(validFrom) || Number.isNaN(validTo)) throw invalid('malformed');
  if (validFrom !== undefined && now < validFrom) throw invalid('not_yet_valid');
  if (validTo !== undefined && now > validTo) throw invalid('expired');
  if (promotion.redemptionsLeft !== null && promotion.redemptionsLeft <= 0) throw invalid('exhausted');
  if (minSubtotal !== null && compareMoney(totalsOf(state).subtotal, minSubtotal) < 0) throw invalid('min_subtotal');

  return [
    {
      type: 'DescuentoAplicado',
      data: {
        code: promotion.code,
        percentOff: promotion.percentOff,
        amountOff: amountOff === null ? null : toMoneyData(amountOff),
        appliedAt: context.now,
      },
    },
  ];
}

/** Setting the shipping cost the order already has appends nothing. */
function actualizarCostoEnvio(command: ActualizarCostoEnvio, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireEditable(state);
  const shipping = orderMoney(state, command.shippingTotal);
  if (shipping.minor === state.shippingMinor) return [];
  return [{ type: 'CostoEnvioActualizado', data: { shippingTotal: toMoneyData(shipping), updatedAt: context.now } }];
}

/**
 * Requests a payment of `amount`, or of what is due minus payments already
 * requested. An order whose total is zero (a full discount and no shipping)
 * has nothing to pay and is confirmed at once, with no payment requested.
 */
function procesarPago(command: ProcesarPago, state: PedidoState, context: DecideContext): PedidoEvent[] {
  const status = requireExisting(state);
  if (status !== 'pending' && status !== 'awaiting_payment') throw new DomainError('PAYMENT_NOT_ALLOWED', { status });
  if (state.lines.length === 0) throw new DomainError('ORDER_EMPTY');
  if (state.payments.some((payment) => payment.paymentId === command.paymentId)) {
    throw new DomainError('PAYMENT_ALREADY_EXISTS', { paymentId: command.paymentId });
  }

  const totals = totalsOf(state);
  if (isZero(totals.total) && isZero(totals.paid) && status === 'pending') return [confirmation(state, totals.total, context)];
  if (isZero(totals.due)) {
    throw new DomainError('NOTHING_DUE', { total: formatAmount(totals.total), paid: formatAmount(totals.paid), ...moneyParams(totals.total) });
  }
  const payable = subtractMoney(totals.due, totals.pendingPayments);
  if (payable.minor <= 0) {
    throw new DomainError('PAYMENT_ALREADY_PENDING', { pending: formatAmount(totals.pendingPayments), ...moneyParams(payable) });
  }

  const amount = command.amount === null ? payable : orderMoney(state, command.amount, { requirePositive: true });
  if (compareMoney(amount, payable) > 0) {
    throw new DomainError('PAYMENT_AMOUNT_EXCEEDS_DUE', { amount: formatAmount(amount), due: formatAmount(payable), ...moneyParams(amount) });
  }
  return [
    {
      type: 'PagoSolicitado',
      data: { paymentId: command.paymentId, method: command.method, amount: toMoneyData(amount), requestedAt: context.now },
    },
  ];
}

/**
 * Records money PaymentSvc took. The same payment confirmed twice appends
 * nothing. A payment this order never requested is accepted while the order
 * waits for payment (PaymentSvc may confirm a payment made outside our
 * request), up to what is due less the payments still pending. A requested payment confirmed after the order
 * was cancelled is recorded too, so that it can be refunded. Paid in full
 * while pending or awaiting payment: PedidoConfirmado follows.
 */
function confirmarPago(command: ConfirmarPago, state: PedidoState, context: DecideContext): PedidoEvent[] {
  const status = requireExisting(state);
  const known = state.payments.find((payment) => payment.paymentId === command.paymentId);
  if (known?.status === 'confirmed') return [];
  if (known?.status === 'rejected') throw new DomainError('PAYMENT_ALREADY_REJECTED', { paymentId: command.paymentId });

  const awaiting = status === 'pending' || status === 'awaiting_payment';
  if (!known && !awaiting) throw new DomainError('PAYMENT_NOT_ALLOWED', { status });

  const amount = orderMoney(state, command.amount, { requirePositive: true });
  if (known && known.amount.minor !== amount.minor) {
    throw new DomainError('PAYMENT_AMOUNT_MISMATCH', {
      paymentId: known.paymentId,
      expected: formatAmount(known.amount),
      actual: formatAmount(amount),
      ...moneyParams(amount),
    });
  }

  // A payment we never requested may only take what the pending requests leave due, so that
  // confirming those requests later can never take more than the total.
  const totals = totalsOf(state);
  const payable = known ? totals.due : subtractMoney(totals.due, totals.pendingPayments);
  if (status !== 'cancelled' && compareMoney(amount, payable) > 0) {
    throw new DomainError('PAYMENT_AMOUNT_EXCEEDS_DUE', { amount: formatAmount(amount), due: formatAmount(payable), ...moneyParams(amount) });
  }

  const events: PedidoEvent[] = [
    {
      type: 'PagoRecibido',
      data: {
        paymentId: command.paymentId,
        method: command.method ?? known?.method ?? 'unknown',
        amount: toMoneyData(amount),
        receivedAt: context.now,
      },
    },
  ];
  const paidInFull = compareMoney(addMoney(totals.paid, amount), addMoney(totals.total, totals.refunded)) >= 0;
  if (awaiting && paidInFull) events.push(confirmation(state, totals.total, context));
  return events;
}

/** Rejecting an already rejected payment appends nothing. */
function rechazarPago(command: RechazarPago, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireExisting(state);
  const known = state.payments.find((payment) => payment.paymentId === command.paymentId);
  if (!known) throw new DomainError('PAYMENT_NOT_FOUND', { paymentId: command.paymentId });
  if (known.status === 'rejected') return [];
  if (known.status === 'confirmed') throw new DomainError('PAYMENT_ALREADY_CONFIRMED', { paymentId: command.paymentId });
  return [{ type: 'PagoRechazado', data: { paymentId: command.paymentId, reason: command.reason, rejectedAt: context.now } }];
}

function reservarInventario(command: ReservarInventario, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireTransition(state, ['confirmed'], 'preparing');
  return [{ type: 'InventarioReservado', data: { reservationId: command.reservationId, reservedAt: context.now } }];
}

function marcarEnviado(command: MarcarPedidoComoEnviado, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireTransition(state, ['preparing'], 'shipped');
  return [
    { type: 'PedidoEnviado', data: { carrier: command.carrier, trackingNumber: command.trackingNumber, shippedAt: context.now } },
  ];
}

function confirmarEntrega(_command: ConfirmarEntrega, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireTransition(state, ['shipped'], 'delivered');
  return [{ type: 'PedidoEntregado', data: { deliveredAt: context.now } }];
}

/** Cancelling a cancelled order appends nothing; shipped and delivered orders cannot be cancelled. */
function cancelarPedido(command: CancelarPedido, state: PedidoState, context: DecideContext): PedidoEvent[] {
  if (requireExisting(state) === 'cancelled') return [];
  requireTransition(state, ['pending', 'awaiting_payment', 'confirmed', 'preparing'], 'cancelled');
  const refundDue = totalsOf(state).refundable;
  return [{ type: 'PedidoCancelado', data: { reason: command.reason, cancelledAt: context.now, refundDue: toMoneyData(refundDue) } }];
}

function solicitarReembolso(command: SolicitarReembolso, state: PedidoState, context: DecideContext): PedidoEvent[] {
  const status = requireExisting(state);
  if (status !== 'cancelled') throw new DomainError('REFUND_NOT_ALLOWED', { status });
  if (state.refunds.some((refund) => refund.refundId === command.refundId)) {
    throw new DomainError('REFUND_ALREADY_EXISTS', { refundId: command.refundId });
  }
  const amount = orderMoney(state, command.amount, { requirePositive: true });
  const refundable = totalsOf(state).refundable;
  if (compareMoney(amount, refundable) > 0) {
    throw new DomainError('REFUND_AMOUNT_EXCEEDS_REFUNDABLE', {
      amount: formatAmount(amount),
      refundable: formatAmount(refundable),
      ...moneyParams(amount),
    });
  }
  return [{ type: 'ReembolsoSolicitado', data: { refundId: command.refundId, amount: toMoneyData(amount), requestedAt: context.now } }];
}

/** Completing a completed refund appends nothing. */
function completarReembolso(command: CompletarReembolso, state: PedidoState, context: DecideContext): PedidoEvent[] {
  requireExisting(state);
  const refund = state.refunds.find((candidate) => candidate.refundId === command.refundId);
  if (!refund) throw new DomainError('REFUND_NOT_FOUND', { refundId: command.refundId });
  if (refund.status === 'completed') return [];
  return [
    { type: 'ReembolsoCompletado', data: { refundId: refund.refundId, amount: toMoneyData(refund.amount), refundedAt: context.now } },
  ];
}

/** Returns the imported facts unchanged once they fold; no live rule applies to them. */
function importarPedidoHistorico(command: ImportarPedidoHistorico, state: PedidoState): PedidoEvent[] {
  if (state.exists) throw new DomainError('ORDER_ALREADY_EXISTS');
  checkImportedHistory(command.facts);
  return command.facts;
}

// ---------------------------------------------------------------------------

/** Decides the facts a command produces on the current state; throws DomainError when a rule forbids it. */
export function decide(command: PedidoCommand, state: PedidoState, context: DecideContext): PedidoEvent[] {
  switch (command.type) {
    case 'CrearPedido':
      return crearPedido(command, state, context);
    case 'AgregarProductoAPedido':
      return agregarProducto(command, state, context);
    case 'EliminarProductoDePedido':
      return eliminarProducto(command, state, context);
    case 'ModificarCantidad':
      return modificarCantidad(command, state, context);
    case 'AplicarDescuento':
      return aplicarDescuento(command, state, context);
    case 'ActualizarCostoEnvio':
      return actualizarCostoEnvio(command, state, context);
    case 'ProcesarPago':
      return procesarPago(command, state, context);
    case 'ConfirmarPago':
      return confirmarPago(command, state, context);
    case 'RechazarPago':
      return rechazarPago(command, state, context);
    case 'ReservarInventario':
      return reservarInventario(command, state, context);
    case 'MarcarPedidoComoEnviado':
      return marcarEnviado(command, state, context);
    case 'ConfirmarEntrega':
      return confirmarEntrega(command, state, context);
    case 'CancelarPedido':
      return cancelarPedido(command, state, context);
    case 'SolicitarReembolso':
      return solicitarReembolso(command, state, context);
    case 'CompletarReembolso':
      return completarReembolso(command, state, context);
    case 'ImportarPedidoHistorico':
      return importarPedidoHistorico(command, state);
    default:
      return assertNever(command);
  }
}
