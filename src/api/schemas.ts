import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { parseMoney } from '../pedido';

// Adds `.openapi(...)` to zod schemas, so the OpenAPI document is generated from the schemas that validate requests.
extendZodWithOpenApi(z);

export { z };

/** Limits the request schemas take from the configuration. */
export interface SchemaLimits {
  maxLineQuantity: number;
}

const MAX_LINES_PER_REQUEST = 100;
const idText = (name: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(/^[\x21-\x7e]+$/, { message: 'regex' })
    .openapi({ description: `${name}: 1 to 100 visible ASCII characters`, example: 'P-1001' });

const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

export const uuidSchema = z.uuid({ message: 'uuid' }).openapi({ example: '0f8fad5b-d9cb-469f-a165-70867728950e' });

const currencyCodeSchema = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'currency_unknown' })
  .refine(isKnownCurrency, { message: 'currency_unknown' })
  .openapi({ description: 'ISO 4217 currency code', example: 'EUR' });

function isKnownCurrency(currency: string): boolean {
  try {
    parseMoney('0', currency);
    return true;
  } catch {
    return false;
  }
}

/**
 * Money sent by a client. `amount` is a decimal string or a JSON number; more
 * decimals than the currency has is rejected, never rounded. The parsed
 * value always carries the amount as a string.
 */
export const moneyInputSchema = z
  .strictObject({
    amount: z.union([
      z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, { message: 'amount_format' }),
      z.number().nonnegative().max(1e15),
    ]),
    currency: currencyCodeSchema,
  })
  // A JSON number becomes its plain decimal text; exponent forms (1e-7, 1e21) then fail the format check.
  .transform((money) => ({ amount: String(money.amount), currency: money.currency }))
  .superRefine((money, ctx) => {
    if (!/^\d+(\.\d+)?$/.test(money.amount)) {
      ctx.addIssue({ code: 'custom', message: 'amount_format', path: ['amount'] });
      return;
    }
    if (!isKnownCurrency(money.currency)) return;
    try {
      parseMoney(money.amount, money.currency);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'amount_decimals', path: ['amount'] });
    }
  })
  .openapi('MoneyInput', {
    description: 'An amount as a decimal string (or JSON number) with at most the currency\'s ISO 4217 minor-unit digits',
    example: { amount: '34.90', currency: 'EUR' },
  });

export const moneySchema = z
  .object({ amount: z.string(), currency: z.string() })
  .openapi('Money', { example: { amount: '34.90', currency: 'EUR' } });

export const addressSchema = z
  .strictObject({
    line1: z.string().trim().min(1, { message: 'blank' }).max(200),
    line2: z.string().trim().max(200).optional(),
    city: z.string().trim().min(1, { message: 'blank' }).max(100),
    postalCode: z.string().trim().min(1, { message: 'blank' }).max(20),
    region: z.string().trim().max(100).optional(),
    country: z.string().regex(/^[A-Z]{2}$/, { message: 'country' }).openapi({ description: 'ISO 3166-1 alpha-2 code', example: 'ES' }),
  })
  .openapi('Address');

/** Request schemas; quantity limits come from the configuration. */
export function requestSchemas(limits: SchemaLimits) {
  // The range checks come first and stop there, so a huge number is reported against the configured maximum
  // rather than against JavaScript's safe-integer bound that .int() also checks.
  const quantity = z
    .number()
    .min(1, { abort: true })
    .max(limits.maxLineQuantity, { abort: true })
    .int()
    .openapi({ description: `Units, an integer from 1 to ${limits.maxLineQuantity}`, example: 2 });

  const lineInput = z
    .strictObject({
      productId: idText('Product id'),
      quantity,
      unitPrice: moneyInputSchema.optional().openapi({
        description: 'The price the client showed; when it differs from the current price the request fails with 409 PRICE_CHANGED',
      }),
    })
    .openapi('LineInput');

  const createOrder = z
    .strictObject({
      customerId: idText('Customer id'),
      currency: currencyCodeSchema.optional().openapi({ description: "The order's currency; the service's default currency when omitted" }),
      items: z.array(lineInput).max(MAX_LINES_PER_REQUEST).optional(),
      shippingAddress: addressSchema.nullable().optional(),
      notes: optionalText(1000),
    })
    .openapi('CreateOrderRequest');

  const changeQuantity = z.strictObject({ quantity }).openapi('ChangeQuantityRequest');

  const applyDiscount = z
    .strictObject({ code: z.string().trim().min(1, { message: 'blank' }).max(64) })
    .openapi('ApplyDiscountRequest', { example: { code: 'WELCOME10' } });

  const requestPayment = z
    .strictObject({
      method: z.string().trim().min(1, { message: 'blank' }).max(50).openapi({ example: 'card' }),
      amount: moneyInputSchema.optional().openapi({ description: 'Defaults to what is due' }),
    })
    .openapi('PaymentRequest');

  const changeStatus = z
    .strictObject({
      status: z.enum(['preparing', 'shipped', 'delivered', 'cancelled']),
      reason: optionalText(500),
      carrier: optionalText(100),
      trackingNumber: optionalText(100),
    })
    .openapi('StatusChangeRequest', { example: { status: 'shipped', carrier: 'SEUR', trackingNumber: 'ES123' } });

  const cancelOrder = z.strictObject({ reason: optionalText(500) }).openapi('CancelRequest');

  return { lineInput, createOrder, changeQuantity, applyDiscount, requestPayment, changeStatus, cancelOrder };
}

export type RequestSchemas = ReturnType<typeof requestSchemas>;
export type LineInput = z.output<RequestSchemas['lineInput']>;
export type CreateOrderInput = z.output<RequestSchemas['createOrder']>;
export type ChangeStatusInput = z.output<RequestSchemas['changeStatus']>;

export const orderParamsSchema = z.strictObject({ id: uuidSchema });
export const itemParamsSchema = z.strictObject({ id: uuidSchema, itemId: uuidSchema });

export const orderQuerySchema = z
  .strictObject({
    revision: z
      .string()
      .regex(/^\d{1,9}$/, { message: 'revision' })
      .transform(Number)
      .optional()
      .openapi({ description: 'The order as it was at this 0-based revision', example: '0' }),
    at: z.iso
      .datetime({ offset: true, message: 'iso_datetime' })
      .optional()
      .openapi({ description: 'The order as it was at this time (business time of its events)', example: '2024-05-01T10:00:00Z' }),
  })
  .refine((query) => query.revision === undefined || query.at === undefined, { message: 'exclusive_query', path: ['at'] });

/** No fields allowed: a query string or body that a route does not take. */
export const emptyQuerySchema = z.strictObject({});

const orderLineSchema = z
  .object({ itemId: z.string(), productId: z.string(), quantity: z.number().int(), unitPrice: moneySchema, lineTotal: moneySchema })
  .openapi('OrderLine');

export const orderSchema = z
  .object({
    id: z.string(),
    orderNumber: z.string().nullable(),
    customerId: z.string(),
    status: z.enum(['pending', 'awaiting_payment', 'confirmed', 'preparing', 'shipped', 'delivered', 'cancelled']),
    currency: z.string(),
    items: z.array(orderLineSchema),
    discount: z
      .object({ code: z.string(), percentOff: z.string().nullable(), amountOff: moneySchema.nullable() })
      .passthrough()
      .nullable(),
    subtotal: moneySchema,
    discountTotal: moneySchema,
    shippingTotal: moneySchema,
    total: moneySchema,
    paid: moneySchema,
    due: moneySchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    revision: z.number().int(),
  })
  .passthrough()
  .openapi('Order');

export const paymentSchema = z
  .object({
    paymentId: z.string(),
    status: z.enum(['requested', 'confirmed', 'rejected']),
    amount: moneySchema,
    method: z.string(),
    requestedAt: z.string(),
  })
  .passthrough()
  .openapi('Payment');

export const historySchema = z
  .object({
    items: z.array(
      z.object({ revision: z.number().int(), type: z.string(), occurredAt: z.string(), recordedAt: z.string(), data: z.record(z.string(), z.unknown()) }),
    ),
  })
  .openapi('OrderHistory');

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string().openapi({ description: 'Stable UPPER_SNAKE identifier to switch on', example: 'ORDER_NOT_FOUND' }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .openapi('Problem');
