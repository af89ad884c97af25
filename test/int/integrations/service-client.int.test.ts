import { HttpCustomerDirectory, HttpPaymentGateway, HttpProductCatalog } from '../../../src/integrations/http/adapters';
import { circuitBreakerState, circuitBreakerTransitions, externalCallRetries } from '../../../src/integrations/http/metrics';
import { ClientHttpError, type ResilienceOptions, ServiceClient } from '../../../src/integrations/http/service-client';
import { ServiceUnavailableError } from '../../../src/integrations/ports';
import { FakeService } from '../../support/fake-service';

const product = { productId: 'SKU-1', name: 'Taza', unitPrice: { amount: '9.90', currency: 'EUR' }, available: 4 };
const payment = { orderId: 'o-1', paymentId: 'pay-1', amount: { amount: '9.90', currency: 'EUR' }, method: 'card', idempotencyKey: 'o-1:pay-1' };

// Short times keep the suite fast; the random source is fixed so backoff is predictable.
const fastPolicy: Partial<ResilienceOptions> = {
  timeoutMs: 2_000,
  maxAttempts: 3,
  baseDelayMs: 20,
  maxDelayMs: 100,
  maxRetryAfterMs: 1_500,
  volumeThreshold: 4,
  resetTimeoutMs: 400,
  random: () => 0.5,
};

const fakes: FakeService[] = [];
const clients: ServiceClient[] = [];

async function startFake(): Promise<FakeService> {
  const fake = await FakeService.start();
  fakes.push(fake);
  return fake;
}

function clientFor(fake: FakeService | string, service: 'ProductSvc' | 'PaymentSvc' | 'UserSvc', policy: Partial<ResilienceOptions> = {}): ServiceClient {
  const client = new ServiceClient(service, typeof fake === 'string' ? fake : fake.url, { ...fastPolicy, ...policy });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.shutdown();
  for (const fake of fakes.splice(0)) await fake.close();
});

describe('HTTP adapters', () => {
  it('reads a product and maps 404 to undefined', async () => {
    const fake = await startFake();
    fake.handler = (call) => (call.path === '/products/SKU-1' ? { status: 200, body: product } : { status: 404, body: {} });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    expect(await catalog.getProduct('SKU-1')).toEqual(product);
    expect(await catalog.getProduct('missing')).toBeUndefined();
  });

  it('maps a 409 reservation answer to reserved false', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 409, body: { reason: 'SKU-1: 2 available' } });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    const result = await catalog.reserveStock({ orderId: 'o-1', idempotencyKey: 'k', lines: [{ productId: 'SKU-1', quantity: 3 }] });

    expect(result).toEqual({ reserved: false, reason: 'SKU-1: 2 available' });
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].idempotencyKey).toBe('k');
  });

  it('maps a refused payment to accepted false', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 422, body: { reason: 'card expired' } });
    const gateway = new HttpPaymentGateway(clientFor(fake, 'PaymentSvc'));

    expect(await gateway.requestPayment(payment)).toEqual({ accepted: false, reason: 'card expired' });
  });

  it('reads a customer', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 200, body: { customerId: 'c-1', active: false, name: 'Ana' } });
    const directory = new HttpCustomerDirectory(clientFor(fake, 'UserSvc'));

    expect(await directory.getCustomer('c-1')).toEqual({ customerId: 'c-1', active: false, name: 'Ana' });
  });

  it('treats an answer off the contract as a failure', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 200, body: { productId: 'SKU-1' } });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    await expect(catalog.getProduct('SKU-1')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(fake.calls).toHaveLength(1);
  });
});

describe('retries', () => {
  it('retries a 503 after its Retry-After', async () => {
    const fake = await startFake();
    const arrivals: number[] = [];
    fake.handler = () => {
      arrivals.push(Date.now());
      return arrivals.length === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200, body: product };
    };
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    expect(await catalog.getProduct('SKU-1')).toEqual(product);
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(950);
  });

  it('fails at once when Retry-After is too long', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 503, headers: { 'retry-after': '30' } });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    const error = await catalog.getProduct('SKU-1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).retryAfterSeconds).toBe(30);
    expect(fake.calls).toHaveLength(1);
  });

  it('retries 502, 504 and 429 until success', async () => {
    const fake = await startFake();
    const statuses = [502, 504, 429];
    fake.handler = () => {
      const status = statuses.shift();
      return status ? { status } : { status: 200, body: product };
    };
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc', { maxAttempts: 4 }));

    expect(await catalog.getProduct('SKU-1')).toEqual(product);
    expect(fake.calls).toHaveLength(4);
  });

  it('never retries a 4xx answer', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 400, body: { reason: 'bad request' } });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    const error = await catalog.reserveStock({ orderId: 'o', idempotencyKey: 'k', lines: [] }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ClientHttpError);
    expect((error as ClientHttpError).code).toBe('EXTERNAL_REQUEST_REJECTED');
    expect(fake.calls).toHaveLength(1);
  });

  it('does not retry a 500', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 500 });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    await expect(catalog.getProduct('SKU-1')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(fake.calls).toHaveLength(1);
  });

  it('gives up after the last attempt times out', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 200, body: product, delayMs: 1_000 });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc', { timeoutMs: 100 }));
    const retriesBefore = await retriesOf('ProductSvc', 'getProduct');

    const error = await catalog.getProduct('SKU-1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toMatch(/timed out/);
    // Counted by the client: on a loaded machine an attempt may time out before the fake reads it.
    expect((await retriesOf('ProductSvc', 'getProduct')) - retriesBefore).toBe(2);
  });

  it('reports a service that is down', async () => {
    const fake = await startFake();
    const url = fake.url;
    await fake.close();
    fakes.splice(fakes.indexOf(fake), 1);
    const directory = new HttpCustomerDirectory(clientFor(url, 'UserSvc'));

    const error = await directory.getCustomer('c-1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toMatch(/network error/);
  });
});

describe('idempotency keys', () => {
  it('charges a payment once when the answer comes too late', async () => {
    const fake = await startFake();
    let charges = 0;
    fake.handler = (call, self) => {
      self.applyOnce(call.idempotencyKey, () => (charges += 1));
      // The first answer arrives after the client gave up; the retry is answered at once.
      return { status: 202, body: { status: 'pending' }, delayMs: self.calls.length === 1 ? 3_000 : 0 };
    };
    const gateway = new HttpPaymentGateway(clientFor(fake, 'PaymentSvc', { timeoutMs: 500 }));

    expect(await gateway.requestPayment(payment)).toEqual({ accepted: true });
    expect(fake.calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(fake.calls.map((call) => call.idempotencyKey))).toEqual(new Set(['o-1:pay-1']));
    expect(charges).toBe(1);
  });

  it('reserves stock once across retries after a 503', async () => {
    const fake = await startFake();
    let reservations = 0;
    fake.handler = (call, self) => {
      const reservationId = self.applyOnce(call.idempotencyKey, () => `r-${(reservations += 1)}`);
      return self.calls.length === 1 ? { status: 503 } : { status: 201, body: { reservationId } };
    };
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc'));

    const result = await catalog.reserveStock({ orderId: 'o-1', idempotencyKey: 'o-1:reserve', lines: [{ productId: 'SKU-1', quantity: 1 }] });

    expect(result).toEqual({ reserved: true, reservationId: 'r-1' });
    expect(reservations).toBe(1);
    expect(fake.calls.map((call) => call.idempotencyKey)).toEqual(['o-1:reserve', 'o-1:reserve']);
  });
});

describe('circuit breaker', () => {
  it('opens only after the volume threshold', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 500 });
    const client = clientFor(fake, 'ProductSvc', { maxAttempts: 1, resetTimeoutMs: 60_000 });
    const catalog = new HttpProductCatalog(client);
    const opensBefore = await transitionsOf('ProductSvc', 'open');

    for (let call = 1; call <= 3; call += 1) await expect(catalog.getProduct('SKU-1')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(client.circuitState).toBe('closed');

    await expect(catalog.getProduct('SKU-1')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(client.circuitState).toBe('open');
    expect((await transitionsOf('ProductSvc', 'open')) - opensBefore).toBe(1);
    expect((await circuitBreakerState.get()).values.find((value) => value.labels.service === 'ProductSvc')?.value).toBe(2);

    const error = await catalog.getProduct('SKU-1').catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/circuit open/);
    expect((error as ServiceUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(fake.calls).toHaveLength(4);
  });

  it('lets one trial through when half-open and closes on success', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 503 });
    const client = clientFor(fake, 'ProductSvc', { maxAttempts: 1 });
    const catalog = new HttpProductCatalog(client);
    for (let call = 1; call <= 4; call += 1) await catalog.getProduct('SKU-1').catch(() => undefined);
    expect(client.circuitState).toBe('open');

    await waitFor(() => client.circuitState === 'half_open');
    fake.handler = () => ({ status: 200, body: product, delayMs: 100 });
    const callsBefore = fake.calls.length;
    const results = await Promise.allSettled([catalog.getProduct('SKU-1'), catalog.getProduct('SKU-1'), catalog.getProduct('SKU-1')]);

    expect(fake.calls.length - callsBefore).toBe(1);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected' && result.reason instanceof ServiceUnavailableError)).toHaveLength(2);
    expect(client.circuitState).toBe('closed');
    expect(await catalog.getProduct('SKU-1')).toEqual(product);
  });

  it('opens again when the trial call fails', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 500 });
    const client = clientFor(fake, 'PaymentSvc', { maxAttempts: 1 });
    const gateway = new HttpPaymentGateway(client);
    for (let call = 1; call <= 4; call += 1) await gateway.requestPayment(payment).catch(() => undefined);

    await waitFor(() => client.circuitState === 'half_open');
    await expect(gateway.requestPayment(payment)).rejects.toBeInstanceOf(ServiceUnavailableError);

    expect(client.circuitState).toBe('open');
  });

  it('stays closed on 4xx answers', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 404 });
    const client = clientFor(fake, 'UserSvc', { maxAttempts: 1 });
    const directory = new HttpCustomerDirectory(client);

    for (let call = 1; call <= 10; call += 1) expect(await directory.getCustomer(`c-${call}`)).toBeUndefined();

    expect(client.circuitState).toBe('closed');
    expect(fake.calls).toHaveLength(10);
  });

  it('reports its state in the health check', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 500 });
    const client = clientFor(fake, 'UserSvc', { maxAttempts: 1, resetTimeoutMs: 60_000 });
    expect(await client.healthCheck().check()).toEqual({ status: 'up', detail: 'circuit closed' });

    for (let call = 1; call <= 4; call += 1) await new HttpCustomerDirectory(client).getCustomer('c').catch(() => undefined);

    expect(await client.healthCheck().check()).toEqual({ status: 'degraded', detail: 'circuit open' });
  });
});

describe('bulkhead', () => {
  it('rejects calls beyond the queue at once', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 200, body: product, delayMs: 200 });
    const catalog = new HttpProductCatalog(clientFor(fake, 'ProductSvc', { maxConcurrent: 1, maxQueue: 1 }));

    const results = await Promise.allSettled([catalog.getProduct('SKU-1'), catalog.getProduct('SKU-1'), catalog.getProduct('SKU-1')]);

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const rejection = (results[2] as PromiseRejectedResult).reason as ServiceUnavailableError;
    expect(rejection).toBeInstanceOf(ServiceUnavailableError);
    expect(rejection.message).toMatch(/too many calls/);
    expect(fake.calls).toHaveLength(2);
  });
});

describe('caller abort', () => {
  it('passes the abort on without counting a failure', async () => {
    const fake = await startFake();
    fake.handler = () => ({ status: 200, body: product, delayMs: 500 });
    const client = clientFor(fake, 'ProductSvc', { maxAttempts: 1, volumeThreshold: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client went away')), 50);

    await expect(new HttpProductCatalog(client).getProduct('SKU-1', { signal: controller.signal })).rejects.toThrow('client went away');
    expect(client.circuitState).toBe('closed');
  });
});

async function retriesOf(service: string, operation: string): Promise<number> {
  const values = (await externalCallRetries.get()).values;
  return values.find((value) => value.labels.service === service && value.labels.operation === operation)?.value ?? 0;
}

async function transitionsOf(service: string, state: string): Promise<number> {
  const values = (await circuitBreakerTransitions.get()).values;
  return values.find((value) => value.labels.service === service && value.labels.state === state)?.value ?? 0;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
