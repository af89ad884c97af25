import type { MessageParams } from './messages';

/**
 * Texts of the codes the Pedido domain throws (listed with their params in
 * src/pedido/errors.ts), in Spanish and English.
 */
const show = (value: unknown): string => (value === null || value === undefined || value === '' ? '?' : String(value));

const entry = (esTitle: string, es: (p: MessageParams) => string, enTitle: string, en: (p: MessageParams) => string) => ({
  es: { title: esTitle, detail: es },
  en: { title: enTitle, detail: en },
});

const statusEs: Record<string, string> = {
  pending: 'pendiente',
  awaiting_payment: 'esperando el pago',
  confirmed: 'confirmado',
  preparing: 'en preparación',
  shipped: 'enviado',
  delivered: 'entregado',
  cancelled: 'cancelado',
};

const statusInEs = (status: unknown): string => statusEs[String(status)] ?? show(status);

const moneyReasonsEs: Record<string, string> = {
  not_a_number: 'no es un número',
  too_many_decimals: 'tiene más decimales de los que admite la moneda',
  negative: 'es negativo',
  not_positive: 'debe ser mayor que cero',
  too_large: 'es demasiado grande',
  unknown_currency: 'la moneda no se conoce',
};

const moneyReasonsEn: Record<string, string> = {
  not_a_number: 'it is not a number',
  too_many_decimals: 'it has more decimals than the currency allows',
  negative: 'it is negative',
  not_positive: 'it must be greater than zero',
  too_large: 'it is too large',
  unknown_currency: 'the currency is unknown',
};

export const domainMessages = {
  ORDER_ALREADY_EXISTS: entry('El pedido ya existe', () => 'Ya existe un pedido con ese identificador.', 'Order already exists', () => 'An order with that id already exists.'),
  MONEY_INVALID: entry(
    'Importe no válido',
    (p) => `El importe ${show(p.amount)} ${show(p.currency)} no es válido: ${moneyReasonsEs[String(p.reason)] ?? show(p.reason)}.`,
    'Invalid amount',
    (p) => `The amount ${show(p.amount)} ${show(p.currency)} is invalid: ${moneyReasonsEn[String(p.reason)] ?? show(p.reason)}.`,
  ),
  CURRENCY_MISMATCH: entry(
    'Moneda distinta',
    (p) => `El pedido está en ${show(p.expected)}, pero el importe está en ${show(p.actual)}.`,
    'Currency mismatch',
    (p) => `The order is in ${show(p.expected)}, but the amount is in ${show(p.actual)}.`,
  ),
  QUANTITY_INVALID: entry(
    'Cantidad no válida',
    (p) => `La cantidad ${show(p.quantity)} no es válida: debe ser un entero de 1 a ${show(p.max)}.`,
    'Invalid quantity',
    (p) => `Quantity ${show(p.quantity)} is invalid: it must be an integer from 1 to ${show(p.max)}.`,
  ),
  ORDER_NOT_EDITABLE: entry(
    'El pedido no se puede modificar',
    (p) => `Las líneas, el descuento y el envío solo cambian mientras el pedido está pendiente; está ${statusInEs(p.status)}.`,
    'Order cannot be changed',
    (p) => `Lines, discount and shipping change only while the order is pending; it is ${show(p.status)}.`,
  ),
  ORDER_EMPTY: entry('Pedido vacío', () => 'Un pedido sin líneas no se puede pagar.', 'Empty order', () => 'An order without lines cannot be paid.'),
  ITEM_NOT_FOUND: entry('Línea no encontrada', (p) => `El pedido no tiene la línea ${show(p.itemId)}.`, 'Line not found', (p) => `The order has no line ${show(p.itemId)}.`),
  ITEM_ALREADY_EXISTS: entry('La línea ya existe', (p) => `La línea ${show(p.itemId)} ya existe.`, 'Line already exists', (p) => `Line ${show(p.itemId)} already exists.`),
  DISCOUNT_ALREADY_APPLIED: entry(
    'Ya hay un descuento',
    (p) => `El pedido ya tiene el código ${show(p.appliedCode)}; solo se admite un código por pedido.`,
    'Discount already applied',
    (p) => `The order already has code ${show(p.appliedCode)}; only one code per order is allowed.`,
  ),
  INVALID_STATUS_TRANSITION: entry(
    'Cambio de estado no permitido',
    (p) => `Un pedido ${statusInEs(p.from)} no puede pasar a ${statusInEs(p.to)}.`,
    'Status change not allowed',
    (p) => `An order that is ${show(p.from)} cannot become ${show(p.to)}.`,
  ),
  PAYMENT_NOT_ALLOWED: entry(
    'Pago no permitido',
    (p) => `No se admiten pagos en un pedido ${statusInEs(p.status)}.`,
    'Payment not allowed',
    (p) => `Payments are not accepted on an order that is ${show(p.status)}.`,
  ),
  NOTHING_DUE: entry(
    'Nada pendiente de pago',
    (p) => `El pedido ya está pagado: total ${show(p.total)} ${show(p.currency)}, pagado ${show(p.paid)} ${show(p.currency)}.`,
    'Nothing due',
    (p) => `The order is already paid: total ${show(p.total)} ${show(p.currency)}, paid ${show(p.paid)} ${show(p.currency)}.`,
  ),
  PAYMENT_ALREADY_PENDING: entry(
    'Pago ya solicitado',
    (p) => `Los pagos solicitados (${show(p.pending)} ${show(p.currency)}) ya cubren lo pendiente; espere su confirmación.`,
    'Payment already requested',
    (p) => `The requested payments (${show(p.pending)} ${show(p.currency)}) already cover what is due; wait for their confirmation.`,
  ),
  PAYMENT_AMOUNT_EXCEEDS_DUE: entry(
    'Importe superior a lo pendiente',
    (p) => `El pago de ${show(p.amount)} ${show(p.currency)} supera lo pendiente, ${show(p.due)} ${show(p.currency)}.`,
    'Amount exceeds what is due',
    (p) => `The payment of ${show(p.amount)} ${show(p.currency)} exceeds what is due, ${show(p.due)} ${show(p.currency)}.`,
  ),
  PAYMENT_ALREADY_EXISTS: entry('El pago ya existe', (p) => `El pago ${show(p.paymentId)} ya existe.`, 'Payment already exists', (p) => `Payment ${show(p.paymentId)} already exists.`),
  PAYMENT_NOT_FOUND: entry('Pago no encontrado', (p) => `El pedido no tiene el pago ${show(p.paymentId)}.`, 'Payment not found', (p) => `The order has no payment ${show(p.paymentId)}.`),
  PAYMENT_ALREADY_CONFIRMED: entry('Pago ya confirmado', (p) => `El pago ${show(p.paymentId)} ya está confirmado.`, 'Payment already confirmed', (p) => `Payment ${show(p.paymentId)} is already confirmed.`),
  PAYMENT_ALREADY_REJECTED: entry('Pago ya rechazado', (p) => `El pago ${show(p.paymentId)} ya fue rechazado.`, 'Payment already rejected', (p) => `Payment ${show(p.paymentId)} was already rejected.`),
  PAYMENT_AMOUNT_MISMATCH: entry(
    'Importe del pago distinto',
    (p) => `El pago ${show(p.paymentId)} se pidió por ${show(p.expected)} ${show(p.currency)} y se confirmó por ${show(p.actual)} ${show(p.currency)}.`,
    'Payment amount mismatch',
    (p) => `Payment ${show(p.paymentId)} was requested for ${show(p.expected)} ${show(p.currency)} and confirmed for ${show(p.actual)} ${show(p.currency)}.`,
  ),
  REFUND_NOT_ALLOWED: entry('Reembolso no permitido', (p) => `No se admite un reembolso en un pedido ${statusInEs(p.status)}.`, 'Refund not allowed', (p) => `A refund is not allowed on an order that is ${show(p.status)}.`),
  REFUND_AMOUNT_EXCEEDS_REFUNDABLE: entry(
    'Reembolso superior a lo pagado',
    (p) => `El reembolso de ${show(p.amount)} ${show(p.currency)} supera lo reembolsable, ${show(p.refundable)} ${show(p.currency)}.`,
    'Refund exceeds what is refundable',
    (p) => `The refund of ${show(p.amount)} ${show(p.currency)} exceeds what is refundable, ${show(p.refundable)} ${show(p.currency)}.`,
  ),
  REFUND_ALREADY_EXISTS: entry('El reembolso ya existe', (p) => `El reembolso ${show(p.refundId)} ya existe.`, 'Refund already exists', (p) => `Refund ${show(p.refundId)} already exists.`),
  REFUND_NOT_FOUND: entry('Reembolso no encontrado', (p) => `El pedido no tiene el reembolso ${show(p.refundId)}.`, 'Refund not found', (p) => `The order has no refund ${show(p.refundId)}.`),
  IMPORT_INVALID: entry(
    'Historial no válido',
    (p) => `El historial importado no es válido (hecho ${show(p.index)}): ${show(p.reason)}.`,
    'Invalid history',
    (p) => `The imported history is invalid (fact ${show(p.index)}): ${show(p.reason)}.`,
  ),
};
