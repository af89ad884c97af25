import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  historySchema,
  itemParamsSchema,
  orderParamsSchema,
  orderQuerySchema,
  orderSchema,
  paymentSchema,
  problemSchema,
  requestSchemas,
  z,
  type SchemaLimits,
} from './schemas';

const problem = (description: string): ResponseConfig => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const orderResponse = (description: string): ResponseConfig => ({
  description,
  headers: z.object({
    ETag: z.string().openapi({ description: 'Revision of the order\'s last event, quoted', example: '"3"' }),
    'X-Event-Position': z.string().optional().openapi({ description: 'Global log position of the last event appended; send it as X-Min-Event-Position to read your own write' }),
  }),
  content: { 'application/json': { schema: orderSchema } },
});

const commandHeaders = z.object({
  'If-Match': z.string().optional().openapi({ description: 'Quoted revision the command requires; a mismatch is 412 REVISION_MISMATCH', example: '"3"' }),
  'Idempotency-Key': z.string().optional().openapi({ description: '1 to 255 visible ASCII characters; a repeat of the same request replays the first response', example: 'a4f1c9e2-order-42' }),
  'Accept-Language': z.string().optional().openapi({ description: 'Language of problem texts: Spanish by default, English when en is preferred', example: 'en' }),
});

const commonErrors: RouteConfig['responses'] = {
  400: problem('Invalid input: VALIDATION_FAILED, MALFORMED_JSON, INVALID_IF_MATCH, IDEMPOTENCY_KEY_INVALID'),
  404: problem('ORDER_NOT_FOUND, ITEM_NOT_FOUND'),
  409: problem('A workflow rule forbids the command in this status (INVALID_STATUS_TRANSITION, ORDER_NOT_EDITABLE, …), CONCURRENCY_CONFLICT, IDEMPOTENCY_KEY_IN_PROGRESS'),
  412: problem('REVISION_MISMATCH'),
  413: problem('PAYLOAD_TOO_LARGE'),
  415: problem('UNSUPPORTED_MEDIA_TYPE'),
  422: problem('IDEMPOTENCY_KEY_REUSED and the rule violations named per endpoint'),
  503: problem('SERVICE_UNAVAILABLE or EVENT_STORE_UNAVAILABLE, with Retry-After'),
};

const jsonBody = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': { schema } } });

/** Builds the OpenAPI 3.1 document from the same zod schemas that validate requests. */
export function buildOpenApiDocument(limits: SchemaLimits, version: string): object {
  const schemas = requestSchemas(limits);
  const registry = new OpenAPIRegistry();
  const command = (route: RouteConfig): void => registry.registerPath({ ...route, request: { headers: commandHeaders, ...route.request }, responses: { ...commonErrors, ...route.responses } });

  command({
    method: 'post',
    path: '/api/orders',
    summary: 'CrearPedido: create an order',
    request: { body: jsonBody(schemas.createOrder) },
    responses: {
      201: orderResponse('The order; Location names it'),
      409: problem('PRICE_CHANGED: a unitPrice sent differs from the current price, which the detail names'),
      422: problem('PRODUCT_UNAVAILABLE, CUSTOMER_INVALID, CURRENCY_MISMATCH'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/orders/{id}',
    summary: 'ObtenerPedidoPorId: the order, now or as it was at a revision or time',
    request: { params: orderParamsSchema, query: orderQuerySchema },
    responses: { 200: orderResponse('The order'), 400: problem('VALIDATION_FAILED'), 404: problem('ORDER_NOT_FOUND, REVISION_NOT_FOUND, ORDER_NOT_YET_CREATED') },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/orders/{id}/history',
    summary: "The order's events in revision order",
    request: { params: orderParamsSchema },
    responses: { 200: { description: 'The timeline', content: { 'application/json': { schema: historySchema } } }, 404: problem('ORDER_NOT_FOUND') },
  });
  command({
    method: 'put',
    path: '/api/orders/{id}/status',
    summary: 'Move the order to preparing, shipped, delivered or cancelled',
    request: { params: orderParamsSchema, body: jsonBody(schemas.changeStatus) },
    responses: { 200: orderResponse('The order'), 409: problem('INVALID_STATUS_TRANSITION, STOCK_UNAVAILABLE') },
  });
  command({
    method: 'delete',
    path: '/api/orders/{id}',
    summary: 'CancelarPedido; cancelling a cancelled order returns it unchanged',
    request: { params: orderParamsSchema, body: jsonBody(schemas.cancelOrder, false) },
    responses: { 200: orderResponse('The order'), 409: problem('INVALID_STATUS_TRANSITION (shipped or delivered)') },
  });
  command({
    method: 'post',
    path: '/api/orders/{id}/items',
    summary: 'AgregarProductoAPedido; the same product again grows its line',
    request: { params: orderParamsSchema, body: jsonBody(schemas.lineInput) },
    responses: { 201: orderResponse('The order'), 409: problem('PRICE_CHANGED, ORDER_NOT_EDITABLE'), 422: problem('PRODUCT_UNAVAILABLE') },
  });
  command({
    method: 'delete',
    path: '/api/orders/{id}/items/{itemId}',
    summary: 'Remove a line',
    request: { params: itemParamsSchema },
    responses: { 200: orderResponse('The order') },
  });
  command({
    method: 'put',
    path: '/api/orders/{id}/items/{itemId}/quantity',
    summary: 'Change the quantity of a line',
    request: { params: itemParamsSchema, body: jsonBody(schemas.changeQuantity) },
    responses: { 200: orderResponse('The order') },
  });
  command({
    method: 'post',
    path: '/api/orders/{id}/discounts',
    summary: 'AplicarDescuento: apply a promotion code (one per order)',
    request: { params: orderParamsSchema, body: jsonBody(schemas.applyDiscount) },
    responses: { 200: orderResponse('The order'), 409: problem('DISCOUNT_ALREADY_APPLIED'), 422: problem('DISCOUNT_INVALID with the reason') },
  });
  command({
    method: 'post',
    path: '/api/orders/{id}/payments',
    summary: 'ProcesarPago: request a payment (amount defaults to what is due)',
    request: { params: orderParamsSchema, body: jsonBody(schemas.requestPayment) },
    responses: {
      202: { description: 'The payment requested; Location names it', content: { 'application/json': { schema: paymentSchema } } },
      200: orderResponse('Nothing to pay: the order was confirmed at once'),
      409: problem('PAYMENT_NOT_ALLOWED, ORDER_EMPTY, NOTHING_DUE, PAYMENT_ALREADY_PENDING'),
      422: problem('PAYMENT_REJECTED, PAYMENT_AMOUNT_EXCEEDS_DUE'),
    },
  });
  for (const path of ['/health/live', '/health/ready']) {
    registry.registerPath({
      method: 'get',
      path,
      summary: path.endsWith('live') ? 'The process answers' : 'Readiness of each dependency; 503 while a required one is down',
      responses: { 200: { description: 'Up' }, 503: { description: 'A required dependency is down' } },
    });
  }
  registry.registerPath({ method: 'get', path: '/metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'Text exposition format' } } });

  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'OrderSvc',
      version,
      description: 'Event-sourced order service. Errors are application/problem+json with a stable `code`; texts are Spanish by default and English with Accept-Language: en.',
    },
  });
}
