import { domainErrorStatus } from '../../../src/pedido';
import { errorText, fieldMessage, hasMessage, negotiateLanguage } from '../../../src/api/messages';
import { toAppError, toProblem } from '../../../src/api/problem';
import { ValidationError } from '../../../src/infrastructure/errors';
import { ServiceUnavailableError } from '../../../src/integrations/ports';

const applicationCodes = [
  'VALIDATION_FAILED', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'ROUTE_NOT_FOUND', 'ORDER_NOT_FOUND',
  'REVISION_NOT_FOUND', 'ORDER_NOT_YET_CREATED', 'REVISION_MISMATCH', 'INVALID_IF_MATCH', 'CONCURRENCY_CONFLICT', 'PRICE_CHANGED',
  'PRODUCT_UNAVAILABLE', 'CUSTOMER_INVALID', 'DISCOUNT_INVALID', 'PAYMENT_REJECTED', 'STOCK_UNAVAILABLE', 'SERVICE_UNAVAILABLE',
  'EXTERNAL_REQUEST_REJECTED', 'EVENT_STORE_UNAVAILABLE', 'EVENT_TOO_LARGE', 'IDEMPOTENCY_KEY_INVALID', 'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_KEY_IN_PROGRESS', 'INTERNAL_ERROR',
];

describe('message catalog', () => {
  it.each([...Object.keys(domainErrorStatus), ...applicationCodes])('has Spanish and English texts for %s', (code) => {
    expect(hasMessage(code)).toBe(true);
    const es = errorText(code, {}, 'es');
    const en = errorText(code, {}, 'en');
    expect(es.title).not.toBe(en.title);
    expect(es.detail).not.toContain(code);
    expect(en.detail).not.toContain(code);
  });

  it('names an unknown code in its generic text', () => {
    expect(errorText('SOMETHING_NEW', {}, 'en').detail).toContain('SOMETHING_NEW');
  });

  it('fills parameters into the detail', () => {
    expect(errorText('PRICE_CHANGED', { productId: 'P-1', currentAmount: '9.95', currentCurrency: 'EUR', sentAmount: '9.00', sentCurrency: 'EUR' }, 'es').detail).toBe(
      'El precio de P-1 es ahora 9.95 EUR, no 9.00 EUR.',
    );
  });

  it('words field problems in both languages', () => {
    expect(fieldMessage('too_small', { minimum: 1, origin: 'number' }, 'es')).toBe('Debe ser como mínimo 1.');
    expect(fieldMessage('invalid_type', { expected: 'int' }, 'en')).toBe('Invalid type: expected an integer.');
    expect(fieldMessage('custom', { message: 'amount_decimals' }, 'en')).toBe('The amount has more decimals than the currency allows.');
  });
});

describe('negotiateLanguage', () => {
  it.each([
    [undefined, 'es'],
    ['en', 'en'],
    ['en-US', 'en'],
    ['es-ES,en;q=0.9', 'es'],
    ['de-DE,en;q=0.5', 'en'],
    ['fr', 'es'],
    ['en;q=0', 'es'],
    ['es;q=0.2,en;q=0.8', 'en'],
  ])('picks the language for %s', (header, expected) => {
    expect(negotiateLanguage(header)).toBe(expected);
  });
});

describe('problem documents', () => {
  it('turns ServiceUnavailableError into 503 with Retry-After', () => {
    const error = toAppError(new ServiceUnavailableError('ProductSvc', 'circuit open', 7));
    expect(error.status).toBe(503);
    expect(error.headers['Retry-After']).toBe('7');
  });

  it('hides unexpected errors behind INTERNAL_ERROR', () => {
    const problem = toProblem(toAppError(new Error('relation "events" does not exist')), 'en', '/api/orders');
    expect(problem.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(problem)).not.toContain('relation');
  });

  it('lists field errors with translated messages', () => {
    const problem = toProblem(new ValidationError([{ path: 'body.quantity', issue: 'too_small', params: { minimum: 1, origin: 'number' } }]), 'en', '/x');
    expect(problem).toEqual(expect.objectContaining({ status: 400, code: 'VALIDATION_FAILED', errors: [{ path: 'body.quantity', message: 'Must be at least 1.' }] }));
  });
});
