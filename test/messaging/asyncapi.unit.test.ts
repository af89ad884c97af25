import express from 'express';
import request from 'supertest';
import { asyncApiRouter } from '../../src/messaging/asyncapi';
import { publishedEventTypes } from '../../src/messaging/contracts';

function app(options: Parameters<typeof asyncApiRouter>[0] = {}) {
  const server = express();
  server.use(asyncApiRouter(options));
  return server;
}

describe('AsyncAPI document', () => {
  it('describes every published event on its routing key', async () => {
    const response = await request(app()).get('/asyncapi.json').expect(200).expect('Content-Type', /json/);

    expect(response.body.asyncapi).toBe('2.6.0');
    for (const type of publishedEventTypes) {
      const channel = response.body.channels[`pedido.${type}`];
      expect(channel.bindings.amqp.exchange).toMatchObject({ name: 'ordersvc.events', type: 'topic', durable: true });
      expect(channel.subscribe.message).toEqual({ $ref: `#/components/messages/${type}` });
      const payload = response.body.components.messages[type].payload;
      expect(payload.required).toEqual(['eventId', 'type', 'orderId', 'revision', 'occurredAt', 'data']);
      expect(payload.properties.type.const).toBe(type);
    }
    expect(response.body.components.messages.PedidoActualizado.payload.properties.data.required).toContain('change');
  });

  it('describes the consumed events on the configured bindings', async () => {
    const response = await request(app({ inboxQueue: 'custom.inbox', inboxBindings: [{ exchange: 'pay.events', routingKey: 'pago.PagoConfirmado' }] }))
      .get('/asyncapi.json')
      .expect(200);

    const channel = response.body.channels['pay.events/pago.PagoConfirmado'];
    expect(channel.bindings.amqp.queue.name).toBe('custom.inbox');
    expect(channel.publish.message).toEqual({ $ref: '#/components/messages/PagoConfirmado' });
    for (const type of ['PagoConfirmado', 'PagoRechazado', 'InventarioActualizado', 'ClienteActualizado']) {
      expect(response.body.components.messages[type].payload.properties.data.type).toBe('object');
    }
  });
});
