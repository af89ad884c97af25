import { EUR, createOrder, eventually, startTestService, type TestService } from './harness';

let test: TestService;

beforeAll(async () => {
  test = await startTestService();
});

afterAll(async () => {
  await test.close();
});

describe('POST /api/orders', () => {
  it('creates an order with priced lines and flat shipping', async () => {
    const response = await test
      .api()
      .post('/api/orders')
      .send({
        customerId: 'C-100',
        items: [{ productId: 'SKU-1003', quantity: 2, unitPrice: EUR('34.90') }],
        shippingAddress: { line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28013', country: 'ES' },
        notes: 'Dejar en portería',
      })
      .expect(201);

    expect(response.headers.location).toBe(`/api/orders/${response.body.id}`);
    expect(response.headers.etag).toBe(`"${response.body.revision}"`);
    expect(response.headers['x-event-position']).toMatch(/^[0-9a-f]{32}$/);
    expect(response.body.status).toBe('pending');
    expect(response.body.items).toHaveLength(1);
    expect(response.body.items[0].lineTotal).toEqual(EUR('69.80'));
    expect(response.body.shippingTotal).toEqual(EUR('4.90'));
    expect(response.body.total).toEqual(EUR('74.70'));
  });

  it('creates an empty order in the default currency', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-101' }).expect(201);
    expect(response.body.currency).toBe('EUR');
    expect(response.body.items).toEqual([]);
  });

  it('answers PRICE_CHANGED naming the current price', async () => {
    const response = await test
      .api()
      .post('/api/orders')
      .send({ customerId: 'C-1', items: [{ productId: 'SKU-1003', quantity: 1, unitPrice: EUR('30.00') }] })
      .expect(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('PRICE_CHANGED');
    expect(response.body.detail).toContain('34.90');
  });

  it('accepts a price sent as a JSON number', async () => {
    await test
      .api()
      .post('/api/orders')
      .send({ customerId: 'C-1', items: [{ productId: 'SKU-1003', quantity: 1, unitPrice: { amount: 34.9, currency: 'EUR' } }] })
      .expect(201);
  });

  it('answers PRODUCT_UNAVAILABLE for an unknown product', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-1', items: [{ productId: 'NOPE', quantity: 1 }] }).expect(422);
    expect(response.body.code).toBe('PRODUCT_UNAVAILABLE');
  });

  it('answers PRODUCT_UNAVAILABLE for a product out of stock', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-1', items: [{ productId: 'SKU-2004', quantity: 1 }] }).expect(422);
    expect(response.body.code).toBe('PRODUCT_UNAVAILABLE');
  });

  it('answers PRODUCT_UNAVAILABLE for a product priced in another currency', async () => {
    const response = await test
      .api()
      .post('/api/orders')
      .send({ customerId: 'C-1', currency: 'USD', items: [{ productId: 'SKU-1003', quantity: 1 }] })
      .expect(422);
    expect(response.body.code).toBe('PRODUCT_UNAVAILABLE');
  });

  it('answers CUSTOMER_INVALID for an inactive customer', async () => {
    await test.service.db.query(
      `INSERT INTO reference_customers (customer_id, active, name, email, source_version) VALUES ('C-GONE', false, 'Ana', 'ana@example.com', now())`,
    );
    const response = await test.api().post('/api/orders').send({ customerId: 'C-GONE' }).expect(422);
    expect(response.body.code).toBe('CUSTOMER_INVALID');
  });
});

describe('GET /api/orders/:id', () => {
  it('returns the order with its ETag', async () => {
    const id = await createOrder(test);
    const response = await test.api().get(`/api/orders/${id}`).expect(200);
    expect(response.body.id).toBe(id);
    expect(response.headers.etag).toBe(`"${response.body.revision}"`);
  });

  it('answers ORDER_NOT_FOUND for an unknown id', async () => {
    const response = await test.api().get('/api/orders/6f1c2a1e-0000-4000-8000-000000000000').expect(404);
    expect(response.body.code).toBe('ORDER_NOT_FOUND');
  });

  it('rebuilds an earlier revision from the stream', async () => {
    const id = await createOrder(test);
    await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 1 }).expect(201);
    const first = await test.api().get(`/api/orders/${id}?revision=0`).expect(200);
    expect(first.body.revision).toBe(0);
    expect(first.body.items).toEqual([]);
    expect(first.headers.etag).toBe('"0"');
  });

  it('answers REVISION_NOT_FOUND past the last revision', async () => {
    const id = await createOrder(test);
    const response = await test.api().get(`/api/orders/${id}?revision=99`).expect(404);
    expect(response.body.code).toBe('REVISION_NOT_FOUND');
  });

  it('rebuilds the order as it was at a time', async () => {
    const id = await createOrder(test);
    const created = await test.api().get(`/api/orders/${id}`).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 1 }).expect(201);
    const then = await test.api().get(`/api/orders/${id}`).query({ at: created.body.updatedAt }).expect(200);
    expect(then.body.revision).toBe(created.body.revision);
    expect(then.body.items).toHaveLength(1);
  });

  it('answers ORDER_NOT_YET_CREATED before the order existed', async () => {
    const id = await createOrder(test);
    const response = await test.api().get(`/api/orders/${id}`).query({ at: '2000-01-01T00:00:00Z' }).expect(404);
    expect(response.body.code).toBe('ORDER_NOT_YET_CREATED');
  });
});

describe('GET /api/orders/:id/history', () => {
  it('lists the stored events in revision order', async () => {
    const id = await createOrder(test);
    const response = await test.api().get(`/api/orders/${id}/history`).expect(200);
    const types = response.body.items.map((item: { type: string }) => item.type);
    expect(types[0]).toBe('PedidoCreado');
    expect(types).toContain('ProductoAgregado');
    expect(response.body.items.map((item: { revision: number }) => item.revision)).toEqual(types.map((_: string, index: number) => index));
    expect(response.body.items[0].occurredAt).toEqual(expect.any(String));
    expect(response.body.items[0].recordedAt).toEqual(expect.any(String));
  });

  it('answers ORDER_NOT_FOUND for an unknown order', async () => {
    await test.api().get('/api/orders/6f1c2a1e-0000-4000-8000-000000000000/history').expect(404);
  });
});

describe('order lines', () => {
  it('adds a line, grows it, changes its quantity and removes it', async () => {
    const id = await createOrder(test);
    const added = await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 2 }).expect(201);
    const line = added.body.items.find((item: { productId: string }) => item.productId === 'SKU-1005');
    expect(line.quantity).toBe(2);

    const grown = await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 3 }).expect(201);
    expect(grown.body.items.filter((item: { productId: string }) => item.productId === 'SKU-1005')).toEqual([
      expect.objectContaining({ itemId: line.itemId, quantity: 5 }),
    ]);

    const changed = await test.api().put(`/api/orders/${id}/items/${line.itemId}/quantity`).send({ quantity: 4 }).expect(200);
    expect(changed.body.items.find((item: { itemId: string }) => item.itemId === line.itemId).quantity).toBe(4);

    const removed = await test.api().delete(`/api/orders/${id}/items/${line.itemId}`).expect(200);
    expect(removed.body.items.map((item: { itemId: string }) => item.itemId)).not.toContain(line.itemId);
  });

  it('answers ITEM_NOT_FOUND for an unknown line', async () => {
    const id = await createOrder(test);
    const response = await test.api().put(`/api/orders/${id}/items/6f1c2a1e-0000-4000-8000-000000000000/quantity`).send({ quantity: 2 }).expect(404);
    expect(response.body.code).toBe('ITEM_NOT_FOUND');
  });

  it('answers ORDER_NOT_FOUND when adding to an unknown order', async () => {
    const response = await test.api().post('/api/orders/6f1c2a1e-0000-4000-8000-000000000000/items').send({ productId: 'SKU-1005', quantity: 1 }).expect(404);
    expect(response.body.code).toBe('ORDER_NOT_FOUND');
  });

  it('answers PRICE_CHANGED when adding at an old price', async () => {
    const id = await createOrder(test);
    const response = await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 1, unitPrice: EUR('9.00') }).expect(409);
    expect(response.body.code).toBe('PRICE_CHANGED');
    expect(response.body.detail).toContain('9.95');
  });
});

describe('POST /api/orders/:id/discounts', () => {
  it('applies a percentage code in any letter case', async () => {
    const id = await createOrder(test);
    const response = await test.api().post(`/api/orders/${id}/discounts`).send({ code: 'welcome10' }).expect(200);
    expect(response.body.discount.code).toBe('WELCOME10');
    expect(response.body.discountTotal).toEqual(EUR('3.49'));
  });

  it('answers DISCOUNT_INVALID for an unknown code', async () => {
    const id = await createOrder(test);
    const response = await test.api().post(`/api/orders/${id}/discounts`).send({ code: 'NOPE' }).expect(422);
    expect(response.body.code).toBe('DISCOUNT_INVALID');
  });

  it('answers DISCOUNT_INVALID for an expired code', async () => {
    const id = await createOrder(test);
    const response = await test.api().post(`/api/orders/${id}/discounts`).send({ code: 'LAUNCH2024' }).expect(422);
    expect(response.body.code).toBe('DISCOUNT_INVALID');
    expect(response.body.detail).toContain('caducado');
  });

  it('answers DISCOUNT_INVALID below the minimum subtotal', async () => {
    const id = await createOrder(test, { customerId: 'C-1', items: [{ productId: 'SKU-1005', quantity: 1 }] });
    const response = await test.api().post(`/api/orders/${id}/discounts`).send({ code: 'SPRING5' }).expect(422);
    expect(response.body.code).toBe('DISCOUNT_INVALID');
  });

  it('answers DISCOUNT_ALREADY_APPLIED for a second code', async () => {
    const id = await createOrder(test);
    await test.api().post(`/api/orders/${id}/discounts`).send({ code: 'WELCOME10' }).expect(200);
    const response = await test.api().post(`/api/orders/${id}/discounts`).send({ code: 'SPRING5' }).expect(409);
    expect(response.body.code).toBe('DISCOUNT_ALREADY_APPLIED');
  });

  it('counts the redemption in the promotions table', async () => {
    const before = await test.service.db.query<{ redemptions: number }>(`SELECT redemptions FROM promotions WHERE code = 'VIP12_5'`);
    const id = await createOrder(test);
    await test.api().post(`/api/orders/${id}/discounts`).send({ code: 'VIP12_5' }).expect(200);
    const after = await test.service.db.query<{ redemptions: number }>(`SELECT redemptions FROM promotions WHERE code = 'VIP12_5'`);
    expect(after.rows[0].redemptions).toBe(before.rows[0].redemptions + 1);
  });
});

describe('payments and status changes', () => {
  it('requests a payment that the stand-in confirms, then prepares, ships and delivers', async () => {
    const id = await createOrder(test);
    const payment = await test.api().post(`/api/orders/${id}/payments`).send({ method: 'card' }).expect(202);
    expect(payment.body).toEqual(expect.objectContaining({ status: 'requested', method: 'card', amount: EUR('39.80') }));
    expect(payment.headers.location).toBe(`/api/orders/${id}/payments/${payment.body.paymentId}`);

    await eventually(async () => (await test.api().get(`/api/orders/${id}`)).body.status === 'confirmed');

    const preparing = await test.api().put(`/api/orders/${id}/status`).send({ status: 'preparing' }).expect(200);
    expect(preparing.body.status).toBe('preparing');
    const shipped = await test.api().put(`/api/orders/${id}/status`).send({ status: 'shipped', carrier: 'SEUR', trackingNumber: 'ES1' }).expect(200);
    expect(shipped.body).toEqual(expect.objectContaining({ status: 'shipped', carrier: 'SEUR', trackingNumber: 'ES1' }));
    const delivered = await test.api().put(`/api/orders/${id}/status`).send({ status: 'delivered' }).expect(200);
    expect(delivered.body.status).toBe('delivered');

    const cancel = await test.api().delete(`/api/orders/${id}`).expect(409);
    expect(cancel.body.code).toBe('INVALID_STATUS_TRANSITION');
  });

  it('answers ORDER_EMPTY when paying an order without lines', async () => {
    const id = await createOrder(test, { customerId: 'C-1' });
    const response = await test.api().post(`/api/orders/${id}/payments`).send({ method: 'card' }).expect(409);
    expect(response.body.code).toBe('ORDER_EMPTY');
  });

  it('answers PAYMENT_AMOUNT_EXCEEDS_DUE for too large an amount', async () => {
    const id = await createOrder(test);
    const response = await test.api().post(`/api/orders/${id}/payments`).send({ method: 'card', amount: EUR('500.00') }).expect(422);
    expect(response.body.code).toBe('PAYMENT_AMOUNT_EXCEEDS_DUE');
  });

  it('answers INVALID_STATUS_TRANSITION for shipping a pending order', async () => {
    const id = await createOrder(test);
    const response = await test.api().put(`/api/orders/${id}/status`).send({ status: 'shipped' }).expect(409);
    expect(response.body.code).toBe('INVALID_STATUS_TRANSITION');
  });

  it('cancels through PUT status with a reason', async () => {
    const id = await createOrder(test);
    const response = await test.api().put(`/api/orders/${id}/status`).send({ status: 'cancelled', reason: 'duplicado' }).expect(200);
    expect(response.body.status).toBe('cancelled');
    expect(response.body.cancellationReason).toBe('duplicado');
  });

  it('cancels with DELETE, and a second cancel changes nothing', async () => {
    const id = await createOrder(test);
    const first = await test.api().delete(`/api/orders/${id}`).send({ reason: 'cliente' }).expect(200);
    expect(first.body.status).toBe('cancelled');
    expect(first.headers['x-event-position']).toBeDefined();
    const second = await test.api().delete(`/api/orders/${id}`).expect(200);
    expect(second.body.revision).toBe(first.body.revision);
    expect(second.headers['x-event-position']).toBeUndefined();
  });

  it('answers ORDER_NOT_EDITABLE for a line added to a cancelled order', async () => {
    const id = await createOrder(test);
    await test.api().delete(`/api/orders/${id}`).expect(200);
    const response = await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 1 }).expect(409);
    expect(response.body.code).toBe('ORDER_NOT_EDITABLE');
  });
});

describe('problem texts', () => {
  it('speaks Spanish by default', async () => {
    const response = await test.api().get('/api/orders/6f1c2a1e-0000-4000-8000-000000000000').expect(404);
    expect(response.body).toEqual(
      expect.objectContaining({
        type: 'urn:ordersvc:problem:order-not-found',
        title: 'Pedido no encontrado',
        status: 404,
        instance: '/api/orders/6f1c2a1e-0000-4000-8000-000000000000',
        code: 'ORDER_NOT_FOUND',
      }),
    );
  });

  it('speaks English when Accept-Language prefers it', async () => {
    const response = await test.api().get('/api/orders/6f1c2a1e-0000-4000-8000-000000000000').set('Accept-Language', 'en-GB,en;q=0.9,es;q=0.5').expect(404);
    expect(response.body.title).toBe('Order not found');
    expect(response.body.detail).toContain('does not exist');
  });

  it('keeps Spanish when Spanish is preferred over English', async () => {
    const response = await test.api().get('/api/orders/6f1c2a1e-0000-4000-8000-000000000000').set('Accept-Language', 'es-ES,en;q=0.8').expect(404);
    expect(response.body.title).toBe('Pedido no encontrado');
  });

  it('translates field messages', async () => {
    const id = await createOrder(test);
    const es = await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 0 }).expect(400);
    const en = await test.api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 0 }).set('Accept-Language', 'en').expect(400);
    expect(es.body.errors).toEqual([{ path: 'body.quantity', message: 'Debe ser como mínimo 1.' }]);
    expect(en.body.errors).toEqual([{ path: 'body.quantity', message: 'Must be at least 1.' }]);
  });
});

describe('service routes', () => {
  it('reports liveness and readiness per dependency', async () => {
    await test.api().get('/health/live').expect(200, { status: 'up' });
    const ready = await test.api().get('/health/ready').expect(200);
    expect(ready.body.checks.database.status).toBe('up');
    expect(ready.body.checks.eventstore.status).toBe('up');
  });

  it('exposes Prometheus metrics', async () => {
    const response = await test.api().get('/metrics').expect(200);
    expect(response.text).toContain('ordersvc_commands_total');
    expect(response.text).toContain('http_request_duration_seconds');
  });

  it('serves the OpenAPI document and its viewer', async () => {
    const document = await test.api().get('/openapi.json').expect(200);
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toEqual(expect.arrayContaining(['/api/orders', '/api/orders/{id}/items/{itemId}/quantity']));
    expect(document.body.components.schemas.CreateOrderRequest).toBeDefined();
    const docs = await test.api().get('/docs').expect(200);
    expect(docs.text).toContain('/docs/viewer.js');
    expect(docs.text).not.toMatch(/https?:\/\//);
    await test.api().get('/docs/viewer.js').expect(200).expect('Content-Type', /javascript/);
  });

  it('sets helmet headers and echoes the request id', async () => {
    const response = await test.api().get('/health/live').set('X-Request-Id', 'abc-123').expect(200);
    expect(response.headers['x-request-id']).toBe('abc-123');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBeDefined();
  });

  it('answers an unknown route with a 404 problem', async () => {
    const response = await test.api().get('/api/nothing').expect(404);
    expect(response.body.code).toBe('ROUTE_NOT_FOUND');
  });
});
