import { AppError } from '../infrastructure/errors';

/**
 * Stable codes thrown by the Pedido domain, with their HTTP status and the
 * params each one carries (the API's message catalog words them in Spanish
 * and English). Money params are decimal strings in the order's currency.
 *
 * | code | status | params |
 * | --- | --- | --- |
 * | ORDER_NOT_FOUND | 404 | (none) |
 * | ORDER_ALREADY_EXISTS | 409 | (none) |
 * | MONEY_INVALID | 400 | amount, currency, reason: not_a_number, too_many_decimals, negative, not_positive, too_large, unknown_currency |
 * | CURRENCY_MISMATCH | 422 | expected, actual |
 * | QUANTITY_INVALID | 400 | quantity (as given, stringified), max |
 * | ORDER_NOT_EDITABLE | 409 | status (lines, discount and shipping change only while `pending`) |
 * | ORDER_EMPTY | 409 | (none) (an order without lines cannot be paid) |
 * | ITEM_NOT_FOUND | 404 | itemId |
 * | ITEM_ALREADY_EXISTS | 409 | itemId |
 * | DISCOUNT_ALREADY_APPLIED | 409 | code, appliedCode |
 * | DISCOUNT_INVALID | 422 | code, reason: malformed, currency, not_yet_valid, expired, exhausted, min_subtotal |
 * | INVALID_STATUS_TRANSITION | 409 | from, to |
 * | PAYMENT_NOT_ALLOWED | 409 | status |
 * | NOTHING_DUE | 409 | total, paid, currency |
 * | PAYMENT_ALREADY_PENDING | 409 | pending, currency (requested payments already cover what is due) |
 * | PAYMENT_AMOUNT_EXCEEDS_DUE | 422 | amount, due, currency |
 * | PAYMENT_ALREADY_EXISTS | 409 | paymentId |
 * | PAYMENT_NOT_FOUND | 404 | paymentId |
 * | PAYMENT_ALREADY_CONFIRMED | 409 | paymentId |
 * | PAYMENT_ALREADY_REJECTED | 409 | paymentId |
 * | PAYMENT_AMOUNT_MISMATCH | 422 | paymentId, expected, actual, currency |
 * | REFUND_NOT_ALLOWED | 409 | status |
 * | REFUND_AMOUNT_EXCEEDS_REFUNDABLE | 422 | amount, refundable, currency |
 * | REFUND_ALREADY_EXISTS | 409 | refundId |
 * | REFUND_NOT_FOUND | 404 | refundId |
 * | IMPORT_INVALID | 422 | index (of the offending fact, -1 for the whole list), reason: empty, malformed, unknown_type, first_fact_not_pedido_creado, duplicate_pedido_creado, invalid_time, invalid_quantity, or the money error as CODE or CODE:reason |
 */
export type DomainErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'ORDER_ALREADY_EXISTS'
  | 'MONEY_INVALID'
  | 'CURRENCY_MISMATCH'
  | 'QUANTITY_INVALID'
  | 'ORDER_NOT_EDITABLE'
  | 'ORDER_EMPTY'
  | 'ITEM_NOT_FOUND'
  | 'ITEM_ALREADY_EXISTS'
  | 'DISCOUNT_ALREADY_APPLIED'
  | 'DISCOUNT_INVALID'
  | 'INVALID_STATUS_TRANSITION'
  | 'PAYMENT_NOT_ALLOWED'
  | 'NOTHING_DUE'
  | 'PAYMENT_ALREADY_PENDING'
  | 'PAYMENT_AMOUNT_EXCEEDS_DUE'
  | 'PAYMENT_ALREADY_EXISTS'
  | 'PAYMENT_NOT_FOUND'
  | 'PAYMENT_ALREADY_CONFIRMED'
  | 'PAYMENT_ALREADY_REJECTED'
  | 'PAYMENT_AMOUNT_MISMATCH'
  | 'REFUND_NOT_ALLOWED'
  | 'REFUND_AMOUNT_EXCEEDS_REFUNDABLE'
  | 'REFUND_ALREADY_EXISTS'
  | 'REFUND_NOT_FOUND'
  | 'IMPORT_INVALID';

/** HTTP status of each domain error code. */
export const domainErrorStatus: Readonly<Record<DomainErrorCode, number>> = {
  ORDER_NOT_FOUND: 404,
  ORDER_ALREADY_EXISTS: 409,
  MONEY_INVALID: 400,
  CURRENCY_MISMATCH: 422,
  QUANTITY_INVALID: 400,
  ORDER_NOT_EDITABLE: 409,
  ORDER_EMPTY: 409,
  ITEM_NOT_FOUND: 404,
  ITEM_ALREADY_EXISTS: 409,
  DISCOUNT_ALREADY_APPLIED: 409,
  DISCOUNT_INVALID: 422,
  INVALID_STATUS_TRANSITION: 409,
  PAYMENT_NOT_ALLOWED: 409,
  NOTHING_DUE: 409,
  PAYMENT_ALREADY_PENDING: 409,
  PAYMENT_AMOUNT_EXCEEDS_DUE: 422,
  PAYMENT_ALREADY_EXISTS: 409,
  PAYMENT_NOT_FOUND: 404,
  PAYMENT_ALREADY_CONFIRMED: 409,
  PAYMENT_ALREADY_REJECTED: 409,
  PAYMENT_AMOUNT_MISMATCH: 422,
  REFUND_NOT_ALLOWED: 409,
  REFUND_AMOUNT_EXCEEDS_REFUNDABLE: 422,
  REFUND_ALREADY_EXISTS: 409,
  REFUND_NOT_FOUND: 404,
  IMPORT_INVALID: 422,
};

export type DomainErrorParams = Record<string, string | number | boolean | null>;

/** A rule of the Pedido domain that the command breaks; the status comes from the code. */
export class DomainError extends AppError {
  declare readonly code: DomainErrorCode;

  constructor(code: DomainErrorCode, params: DomainErrorParams = {}) {
    super(code, domainErrorStatus[code], params);
    this.name = 'DomainError';
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
