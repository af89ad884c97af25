import { createOrder, startTestService, type TestService } from './harness';

let test: TestService;
let orderId: string;
let itemId: string;

beforeAll(async () => {
  test = await startTestService({ BODY_LIMIT: '2kb', MAX_LINE_QUANTITY: '50' });
  orderId = await createOrder(test);
  itemId = (await test.api().get(`/api/orders/${orderId}`)).body.items[0].itemId;
});

afterAll(async () => {
  await test.close();
});

/** Revision of the order's stream, to prove that a rejected request appended nothing. */
async function revision(): Promise<number> {
  return (await test.api().get(`/api/orders/${orderId}`).expect(200)).body.revision as number;
}

describe('quantities', () => {
  const badQuantities: [string, unknown][] = [
    ['zero', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '2'],
    ['null', null],
    ['above the maximum', 51],
    ['huge', 1e300],
    ['beyond safe integers', 9007199254740993],
    ['a boolean', true],
    ['an object', { value: 1 }],
  ];

  it.each(badQuantities)('rejects a quantity that is %s when adding a line', async (_label, quantity) => {
    const before = await revision();
    const response = await test.api().post(`/api/orders/${orderId}/items`).send({ productId: 'SKU-1005', quantity }).expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.quantity']);
    expect(await revision()).toBe(before);
  });

  it.each(badQuantities)('rejects a quantity that is %s when changing a line', async (_label, quantity) => {
    const before = await revision();
    const response = await test.api().put(`/api/orders/${orderId}/items/${itemId}/quantity`).send({ quantity }).expect(400);
    expect(response.body.errors[0].path).toBe('body.quantity');
    expect(await revision()).toBe(before);
  });

  it.each([51, 1e20, 9007199254740993])('names the configured maximum for %s', async (quantity) => {
    const response = await test.api().post(`/api/orders/${orderId}/items`).send({ productId: 'SKU-1005', quantity }).set('Accept-Language', 'en').expect(400);
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].message).toContain('50');
  });

  it('rejects a missing quantity as a required field', async () => {
    const response = await test.api().post(`/api/orders/${orderId}/items`).send({ productId: 'SKU-1005' }).set('Accept-Language', 'en').expect(400);
    expect(response.body.errors).toEqual([{ path: 'body.quantity', message: 'Required field.' }]);
  });

  it('rejects a bad quantity inside a new order', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-1', items: [{ productId: 'SKU-1005', quantity: -3 }] }).expect(400);
    expect(response.body.errors[0].path).toBe('body.items.0.quantity');
  });
});

describe('bodies', () => {
  const notObjects: [string, string][] = [
    ['null', 'null'],
    ['an array', '[{"productId":"SKU-1005","quantity":1}]'],
    ['a number', '42'],
    ['a string', '"SKU-1005"'],
    ['a boolean', 'true'],
  ];

  it.each(notObjects)('rejects a body that is %s', async (_label, raw) => {
    const response = await test.api().post(`/api/orders/${orderId}/items`).set('Content-Type', 'application/json').send(raw).expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors[0].path).toBe('body');
  });

  it('rejects a missing body on create', async () => {
    const response = await test.api().post('/api/orders').expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('rejects unknown fields and names them', async () => {
    const response = await test.api().post(`/api/orders/${orderId}/items`).send({ productId: 'SKU-1005', quantity: 1, colour: 'red' }).set('Accept-Language', 'en').expect(400);
    expect(response.body.errors).toEqual([{ path: 'body', message: 'Unknown fields: colour.' }]);
  });

  it('rejects unknown fields in nested objects', async () => {
    const response = await test
      .api()
      .post('/api/orders')
      .send({ customerId: 'C-1', shippingAddress: { line1: 'a', city: 'b', postalCode: 'c', country: 'ES', floor: 3 } })
      .expect(400);
    expect(response.body.errors[0].path).toBe('body.shippingAddress');
  });

  it('rejects malformed JSON with MALFORMED_JSON', async () => {
    const response = await test.api().post('/api/orders').set('Content-Type', 'application/json').send('{"customerId": "C-1",').expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('MALFORMED_JSON');
  });

  it('rejects a body over the limit with 413', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-1', notes: 'x'.repeat(4096) }).expect(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects a body that is not JSON with 415', async () => {
    const response = await test.api().post('/api/orders').set('Content-Type', 'text/plain').send('customerId=C-1').expect(415);
    expect(response.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects a form-encoded body with 415', async () => {
    await test.api().post(`/api/orders/${orderId}/items`).type('form').send({ productId: 'SKU-1005', quantity: '1' }).expect(415);
  });

  it('accepts a DELETE without a body', async () => {
    const id = await createOrder(test);
    await test.api().delete(`/api/orders/${id}`).expect(200);
  });
});

describe('ids and query strings', () => {
  it('explains bad list filters in Spanish', async () => {
    const response = await test.api().get('/api/orders').query({ status: 'nope', minTotal: 'abc', currency: 'eur' }).expect(400);
    const messages = Object.fromEntries(response.body.errors.map((error: { path: string; message: string }) => [error.path, error.message]));
    expect(messages['query.status.0']).toContain('valores posibles: pending, awaiting_payment');
    expect(messages['query.minTotal']).toContain('Importe no válido');
    expect(messages['query.currency']).toContain('Moneda no válida');
  });

  // Plain GET /api/orders/:id belongs to the read model's query router; the history routes validate here.
  it.each(['not-a-uuid', '123', 'x'.repeat(40)])('rejects the malformed order id %s', async (id) => {
    const history = await test.api().get(`/api/orders/${id}/history`).expect(400);
    expect(history.body.errors[0].path).toBe('params.id');
    const earlier = await test.api().get(`/api/orders/${id}?revision=0`).expect(400);
    expect(earlier.body.errors[0].path).toBe('params.id');
  });

  it('rejects a malformed order id on a command', async () => {
    const response = await test.api().post('/api/orders/nope/items').send({ productId: 'SKU-1005', quantity: 1 }).expect(400);
    expect(response.body.errors[0].path).toBe('params.id');
  });

  it('rejects a malformed item id', async () => {
    const response = await test.api().delete(`/api/orders/${orderId}/items/line-1`).expect(400);
    expect(response.body.errors[0].path).toBe('params.itemId');
  });

  it.each([
    ['a negative revision', { revision: '-1' }],
    ['a fractional revision', { revision: '1.5' }],
    ['a bad time', { at: 'yesterday' }],
    ['revision and at together', { revision: '0', at: '2024-01-01T00:00:00Z' }],
    ['an unknown parameter', { revision: '0', expand: 'items' }],
  ])('rejects %s in the query', async (_label, query) => {
    const response = await test.api().get(`/api/orders/${orderId}`).query(query).expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('rejects a query on the history', async () => {
    await test.api().get(`/api/orders/${orderId}/history?limit=5`).expect(400);
  });

  it('rejects a repeated query parameter', async () => {
    await test.api().get(`/api/orders/${orderId}?revision=0&revision=1`).expect(400);
  });
});

describe('money and other fields', () => {
  it.each([
    ['too many decimals', { amount: '34.901', currency: 'EUR' }],
    ['decimals on a zero-digit currency', { amount: '10.5', currency: 'JPY' }],
    ['a negative amount', { amount: '-1.00', currency: 'EUR' }],
    ['a negative number', { amount: -1, currency: 'EUR' }],
    ['an exponent', { amount: '1e3', currency: 'EUR' }],
    ['an unknown currency', { amount: '1.00', currency: 'XXX' }],
    ['a lower-case currency', { amount: '1.00', currency: 'eur' }],
    ['a number with too many decimals', { amount: 34.901, currency: 'EUR' }],
    ['an extra field', { amount: '1.00', currency: 'EUR', rate: 1 }],
  ])('rejects a unit price with %s', async (_label, unitPrice) => {
    const response = await test.api().post(`/api/orders/${orderId}/items`).send({ productId: 'SKU-1005', quantity: 1, unitPrice }).expect(400);
    expect(response.body.errors[0].path).toMatch(/^body\.unitPrice/);
  });

  it('rejects a payment amount with too many decimals', async () => {
    const response = await test.api().post(`/api/orders/${orderId}/payments`).send({ method: 'card', amount: { amount: '1.001', currency: 'EUR' } }).expect(400);
    expect(response.body.errors[0].path).toBe('body.amount.amount');
  });

  it('rejects an unknown order currency', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-1', currency: 'ABC' }).expect(400);
    expect(response.body.errors[0].path).toBe('body.currency');
  });

  it('rejects an unknown status', async () => {
    const response = await test.api().put(`/api/orders/${orderId}/status`).send({ status: 'lost' }).set('Accept-Language', 'en').expect(400);
    expect(response.body.errors[0].message).toContain('preparing');
  });

  it('rejects a blank discount code', async () => {
    await test.api().post(`/api/orders/${orderId}/discounts`).send({ code: '   ' }).expect(400);
  });

  it('rejects a blank customer id', async () => {
    await test.api().post('/api/orders').send({ customerId: '' }).expect(400);
  });

  it('rejects a payment without a method', async () => {
    const response = await test.api().post(`/api/orders/${orderId}/payments`).send({}).expect(400);
    expect(response.body.errors[0].path).toBe('body.method');
  });

  it('lists every bad field of one request', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 7, currency: 'eur', items: [{ productId: '', quantity: 0 }] }).expect(400);
    expect(response.body.errors.map((error: { path: string }) => error.path).sort()).toEqual(
      ['body.currency', 'body.customerId', 'body.items.0.productId', 'body.items.0.quantity'].sort(),
    );
  });
});

describe('headers', () => {
  it.each(['2', 'W/"2"', '"2'])('rejects the If-Match %s', async (header) => {
    const response = await test.api().post(`/api/orders/${orderId}/items`).set('If-Match', header).send({ productId: 'SKU-1005', quantity: 1 }).expect(400);
    expect(response.body.code).toBe('INVALID_IF_MATCH');
  });

  it('rejects a malformed If-Match', async () => {
    const response = await test.api().post(`/api/orders/${orderId}/items`).set('If-Match', 'abc').send({ productId: 'SKU-1005', quantity: 1 }).expect(400);
    expect(response.body.code).toBe('INVALID_IF_MATCH');
  });

  it('replaces a malformed X-Request-Id with its own', async () => {
    const response = await test.api().get('/health/live').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
