import { Router } from 'express';
import type { InboxBinding } from '../infrastructure/config';
import { DEFAULT_EVENTS_EXCHANGE, publishedEventTypes, routingKeyFor } from './contracts';
import { DEFAULT_INBOX_QUEUE, defaultInboxBindings } from './inbox-worker';

export interface AsyncApiOptions {
  eventsExchange?: string;
  inboxQueue?: string;
  inboxBindings?: readonly InboxBinding[];
  version?: string;
}

type Schema = Record<string, unknown>;

const money: Schema = {
  type: 'object',
  required: ['amount', 'currency'],
  properties: {
    amount: { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', description: 'Decimal string in the currency minor-unit digits, e.g. "34.90".' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
};
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const messageRef = (name: string): Schema => ({ $ref: `#/components/messages/${name}` });
const text = { type: 'string' };
const nullableText = { type: ['string', 'null'] };
const time = { type: 'string', format: 'date-time' };

const line: Schema = {
  type: 'object',
  required: ['itemId', 'productId', 'quantity', 'unitPrice', 'lineTotal'],
  properties: { itemId: text, productId: text, quantity: { type: 'integer', minimum: 1 }, unitPrice: ref('Money'), lineTotal: ref('Money') },
};

const orderCommon = { customerId: text, status: { type: 'string', enum: ['pending', 'awaiting_payment', 'confirmed', 'preparing', 'shipped', 'delivered', 'cancelled'] } };
const pricing = {
  items: { type: 'array', items: ref('OrderLine') },
  subtotal: ref('Money'),
  discountTotal: ref('Money'),
  shippingTotal: ref('Money'),
  total: ref('Money'),
  paid: ref('Money'),
  due: ref('Money'),
};

/** The `data` schema of each published event. */
const publishedData: Record<(typeof publishedEventTypes)[number], Schema> = {
  PedidoCreado: {
    type: 'object',
    required: ['customerId', 'currency', 'items', 'total'],
    properties: { ...orderCommon, currency: text, ...pricing, createdAt: time },
  },
  PedidoActualizado: {
    type: 'object',
    required: ['change', 'items', 'subtotal', 'discountTotal', 'total'],
    properties: {
      change: { type: 'string', description: 'The stored event behind the update, e.g. ProductoAgregado, DescuentoAplicado, PagoSolicitado.' },
      ...orderCommon,
      ...pricing,
      details: { type: 'object', description: 'The stored event data as recorded.' },
    },
  },
  PedidoConfirmado: {
    type: 'object',
    required: ['orderNumber', 'total', 'confirmedAt'],
    properties: { ...orderCommon, orderNumber: text, total: ref('Money'), confirmedAt: time },
  },
  PedidoCancelado: {
    type: 'object',
    required: ['reason', 'cancelledAt', 'refundDue'],
    properties: { ...orderCommon, reason: nullableText, cancelledAt: time, refundDue: ref('Money') },
  },
  PagoRecibido: {
    type: 'object',
    required: ['paymentId', 'amount', 'method', 'paid', 'due'],
    properties: { ...orderCommon, paymentId: text, amount: ref('Money'), method: text, receivedAt: time, total: ref('Money'), paid: ref('Money'), due: ref('Money') },
  },
  PedidoEnviado: {
    type: 'object',
    required: ['carrier', 'trackingNumber', 'shippedAt'],
    properties: { ...orderCommon, carrier: nullableText, trackingNumber: nullableText, shippedAt: time },
  },
  PedidoEntregado: { type: 'object', required: ['deliveredAt'], properties: { ...orderCommon, deliveredAt: time } },
};

const consumed: Record<string, { summary: string; data: Schema }> = {
  PagoConfirmado: {
    summary: 'PaymentSvc confirmed a payment; the order records it and is confirmed when paid in full.',
    data: { type: 'object', required: ['paymentId', 'orderId', 'amount'], properties: { paymentId: text, orderId: text, amount: ref('Money'), method: nullableText } },
  },
  PagoRechazado: {
    summary: 'PaymentSvc rejected a payment; the order records the rejection.',
    data: { type: 'object', required: ['paymentId', 'orderId', 'reason'], properties: { paymentId: text, orderId: text, reason: text } },
  },
  InventarioActualizado: {
    summary: 'ProductSvc changed stock or price; updates the local product data used to validate orders.',
    data: {
      type: 'object',
      required: ['productId', 'available'],
      properties: { productId: text, available: { type: 'integer', minimum: 0, description: 'Units in stock.' }, unitPrice: ref('Money'), name: text },
    },
  },
  ClienteActualizado: {
    summary: 'UserSvc changed a customer; updates the local customer data used to validate orders.',
    data: { type: 'object', required: ['customerId'], properties: { customerId: text, active: { type: 'boolean' }, name: text, email: text } },
  },
};

function publishedMessage(type: (typeof publishedEventTypes)[number]): Schema {
  return {
    name: type,
    title: type,
    contentType: 'application/json',
    headers: ref('PublishedHeaders'),
    correlationId: { location: '$message.header#/x-correlation-id' },
    bindings: { amqp: { messageType: type, deliveryMode: 2, bindingVersion: '0.3.0' } },
    payload: {
      type: 'object',
      required: ['eventId', 'type', 'orderId', 'revision', 'occurredAt', 'data'],
      properties: {
        eventId: { type: 'string', format: 'uuid', description: 'Stored event id; also the AMQP messageId, for deduplication.' },
        type: { type: 'string', const: type },
        orderId: text,
        revision: { type: 'integer', minimum: 0, description: 'Position of the event in the order stream; messages of one order arrive in this order.' },
        occurredAt: time,
        data: publishedData[type],
      },
    },
  };
}

function consumedMessage(type: string): Schema {
  return {
    name: type,
    title: type,
    summary: consumed[type].summary,
    contentType: 'application/json',
    payload: {
      type: 'object',
      required: ['type', 'occurredAt', 'data'],
      properties: {
        eventId: { type: 'string', description: 'Deduplication id when the AMQP messageId is missing.' },
        type: { type: 'string', const: type },
        occurredAt: { ...time, description: 'Business time; an older update never overwrites a newer one.' },
        data: consumed[type].data,
      },
    },
  };
}

/** Builds the AsyncAPI 2.6 document of the messages OrderSvc publishes and consumes. */
export function buildAsyncApiDocument(options: AsyncApiOptions = {}): Record<string, unknown> {
  const exchange = options.eventsExchange ?? DEFAULT_EVENTS_EXCHANGE;
  const inboxQueue = options.inboxQueue ?? DEFAULT_INBOX_QUEUE;
  const bindings = options.inboxBindings ?? defaultInboxBindings;

  const channels: Record<string, unknown> = {};
  for (const type of publishedEventTypes) {
    channels[routingKeyFor(type)] = {
      description: `Routing key ${routingKeyFor(type)} on the topic exchange ${exchange}.`,
      bindings: { amqp: { is: 'routingKey', exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' }, bindingVersion: '0.3.0' } },
      subscribe: {
        operationId: `receive${type}`,
        summary: `OrderSvc publishes ${type} (at least once, in revision order per order).`,
        message: messageRef(type),
      },
    };
  }
  for (const binding of bindings) {
    const type = Object.keys(consumed).find((name) => binding.routingKey.endsWith(name));
    channels[`${binding.exchange}/${binding.routingKey}`] = {
      description: `Bound to the queue ${inboxQueue}; failing messages are parked in ${inboxQueue}.dlq with x-death-reason.`,
      bindings: {
        amqp: {
          is: 'queue',
          queue: { name: inboxQueue, durable: true, exclusive: false, autoDelete: false, vhost: '/' },
          bindingVersion: '0.3.0',
        },
      },
      publish: {
        operationId: `consume ${binding.exchange} ${binding.routingKey}`.replace(/[^A-Za-z0-9]+/g, '_'),
        summary: `OrderSvc consumes ${binding.routingKey} from ${binding.exchange}.`,
        message: type ? messageRef(type) : { oneOf: Object.keys(consumed).map(messageRef) },
      },
    };
  }

  const messages: Record<string, unknown> = {};
  for (const type of publishedEventTypes) messages[type] = publishedMessage(type);
  for (const type of Object.keys(consumed)) messages[type] = consumedMessage(type);

  return {
    asyncapi: '2.6.0',
    id: 'urn:ordersvc:events',
    info: {
      title: 'OrderSvc events',
      version: options.version ?? '1.0.0',
      description:
        'Events OrderSvc publishes on RabbitMQ and the events of PaymentSvc, ProductSvc and UserSvc it consumes. ' +
        'Stored events that are not one of the seven public events are published as PedidoActualizado with `change` naming them.',
    },
    defaultContentType: 'application/json',
    servers: { rabbitmq: { url: '{host}:5672', protocol: 'amqp', protocolVersion: '0-9-1', variables: { host: { default: 'localhost' } } } },
    channels,
    components: {
      messages,
      schemas: {
        Money: money,
        OrderLine: line,
        PublishedHeaders: {
          type: 'object',
          properties: { 'x-correlation-id': nullableText, 'x-causation-id': nullableText },
        },
      },
    },
  };
}

/** GET /asyncapi.json: the document, built once. */
export function asyncApiRouter(options: AsyncApiOptions = {}): Router {
  const document = buildAsyncApiDocument(options);
  const router = Router();
  router.get('/asyncapi.json', (_request, response) => {
    response.json(document);
  });
  return router;
}
