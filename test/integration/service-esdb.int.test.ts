import { startTestService, createOrder, type TestService } from '../http/harness';
import { startEsdbTestServer, type EsdbTestServer } from '../esdb-server/server';

describe('service on EventStoreDB', () => {
  let server: EsdbTestServer;
  let test: TestService;

  beforeAll(async () => {
    server = await startEsdbTestServer();
    test = await startTestService({ EVENTSTORE_URL: server.connectionString });
  });

  afterAll(async () => {
    await test?.close();
    await server?.stop();
  });

  it('keeps order events in EventStoreDB', async () => {
    const orderId = await createOrder(test);

    const stream = server.log.stream(`pedido-${orderId}`) ?? [];
    const sqlEvents = await test.service.db.query('SELECT 1 FROM events');

    expect(test.service.eventStore.description).toContain('EventStoreDB');
    expect(stream.map((event) => event.type)).toContain('PedidoCreado');
    expect(sqlEvents.rowCount).toBe(0);
  });

  it('reads an order back through the API', async () => {
    const orderId = await createOrder(test);

    const response = await test.api().get(`/api/orders/${orderId}`).expect(200);

    expect(response.body.id).toBe(orderId);
  });

  it('reports EventStoreDB on /health/ready', async () => {
    const up = await test.api().get('/health/ready').expect(200);
    expect(up.body.checks.eventstore.status).toBe('up');
    expect(up.body.checks.eventstore.detail).toContain('EventStoreDB');

    await server.stop();
    try {
      const down = await test.api().get('/health/ready').expect(503);
      expect(down.body.checks.eventstore.status).toBe('down');
    } finally {
      await server.start();
    }
  });
});
