import { ConfigError, loadConfig, parseBindings } from '../../src/infrastructure/config';

describe('inbox bindings configuration', () => {
  it('defaults to the four consumed events', () => {
    const config = loadConfig({});
    expect(config.INBOX_BINDINGS).toEqual([
      { exchange: 'paymentsvc.events', routingKey: 'pago.PagoConfirmado' },
      { exchange: 'paymentsvc.events', routingKey: 'pago.PagoRechazado' },
      { exchange: 'productsvc.events', routingKey: 'producto.InventarioActualizado' },
      { exchange: 'usersvc.events', routingKey: 'cliente.ClienteActualizado' },
    ]);
    expect(config.EVENTS_EXCHANGE).toBe('ordersvc.events');
    expect(config.INBOX_QUEUE).toBe('ordersvc.inbox');
  });

  it('parses exchange and routing key pairs', () => {
    expect(parseBindings(' pay.events:pago.# , users:cliente.* ')).toEqual([
      { exchange: 'pay.events', routingKey: 'pago.#' },
      { exchange: 'users', routingKey: 'cliente.*' },
    ]);
  });

  it('rejects a pair without a routing key', () => {
    expect(parseBindings('pay.events')).toBeUndefined();
    expect(parseBindings('pay.events:')).toBeUndefined();
    expect(() => loadConfig({ INBOX_BINDINGS: 'pay.events' })).toThrow(ConfigError);
    expect(() => loadConfig({ INBOX_BINDINGS: 'pay.events' })).toThrow(/INBOX_BINDINGS/);
  });
});
