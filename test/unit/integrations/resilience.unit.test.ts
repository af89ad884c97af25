import { Bulkhead, BulkheadRejectedError } from '../../../src/integrations/http/bulkhead';
import { retryAfterMs } from '../../../src/integrations/http/service-client';
import { FlatShippingRates } from '../../../src/integrations/standins/shipping-rates';
import { uuidFromKey } from '../../../src/integrations/standins/payment-gateway';

describe('retryAfterMs', () => {
  it('reads seconds', () => {
    expect(retryAfterMs('3')).toBe(3_000);
  });

  it('reads an HTTP date', () => {
    const now = Date.parse('2024-05-01T10:00:00Z');
    expect(retryAfterMs('Wed, 01 May 2024 10:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or invalid header', () => {
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('Bulkhead', () => {
  function deferred() {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    return { promise, release };
  }

  it('queues calls beyond the limit and rejects beyond the queue', async () => {
    const bulkhead = new Bulkhead(1, 1, 10_000);
    const gate = deferred();
    const order: string[] = [];

    const first = bulkhead.run(async () => {
      await gate.promise;
      order.push('first');
    });
    const second = bulkhead.run(async () => void order.push('second'));
    const third = bulkhead.run(async () => void order.push('third'));

    await expect(third).rejects.toMatchObject({ reason: 'queue_full' });
    expect(bulkhead.active).toBe(1);
    expect(bulkhead.queued).toBe(1);
    gate.release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(bulkhead.active).toBe(0);
  });

  it('gives up on a queued call after the queue timeout', async () => {
    const bulkhead = new Bulkhead(1, 5, 30);
    const gate = deferred();
    const running = bulkhead.run(() => gate.promise);

    const queued = bulkhead.run(async () => 'never');

    await expect(queued).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(bulkhead.queued).toBe(0);
    gate.release();
    await running;
  });

  it('drops a queued call whose caller aborts', async () => {
    const bulkhead = new Bulkhead(1, 5, 10_000);
    const gate = deferred();
    const running = bulkhead.run(() => gate.promise);
    const controller = new AbortController();

    const queued = bulkhead.run(async () => 'never', controller.signal);
    controller.abort(new Error('caller left'));

    await expect(queued).rejects.toThrow('caller left');
    expect(bulkhead.queued).toBe(0);
    gate.release();
    await running;
  });
});

describe('FlatShippingRates', () => {
  it.each([
    ['4.90', 'EUR', '4.90'],
    ['4.90', 'KWD', '4.900'],
    ['4.5', 'JPY', '4'],
    ['5.5', 'JPY', '6'],
    ['4.51', 'JPY', '5'],
    ['0.125', 'EUR', '0.12'],
    ['0.135', 'EUR', '0.14'],
  ])('quotes %s in %s as %s', async (rate, currency, expected) => {
    expect(await new FlatShippingRates(rate).quote({ currency, lines: [] })).toEqual({ amount: expected, currency });
  });

  it('rejects a rate that is not a decimal amount', () => {
    expect(() => new FlatShippingRates('4,90')).toThrow(/Invalid flat shipping rate "4,90"/);
  });
});

describe('uuidFromKey', () => {
  it('returns the same UUID for the same key', () => {
    expect(uuidFromKey('payment:k-1')).toBe(uuidFromKey('payment:k-1'));
    expect(uuidFromKey('payment:k-1')).not.toBe(uuidFromKey('payment:k-2'));
    expect(uuidFromKey('payment:k-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
