import { buildOpenApiDocument } from '../../../src/api/openapi';

const document = buildOpenApiDocument({ maxLineQuantity: 1000 }, '0.1.0') as {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
};

describe('OpenAPI document', () => {
  it.each([
    ['get', '/api/orders'],
    ['get', '/api/orders/stats'],
    ['get', '/api/orders/{id}/payments'],
    ['get', '/api/orders/{id}/payments/status'],
    ['get', '/api/orders/{id}/payments/{paymentId}'],
    ['post', '/api/orders'],
    ['get', '/api/orders/{id}/history'],
  ])('describes %s %s', (method, path) => {
    expect(document.paths[path]?.[method]).toBeDefined();
  });

  it('lists the order list filters as query parameters', () => {
    const names = (document.paths['/api/orders'].get.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
    expect(names).toEqual(expect.arrayContaining(['customerId', 'status', 'createdFrom', 'createdTo', 'minTotal', 'maxTotal', 'limit', 'cursor']));
  });

  it('lists the read-your-writes header on queries', () => {
    const names = (document.paths['/api/orders/stats'].get.parameters ?? []).map((parameter) => parameter.name);
    expect(names).toContain('X-Min-Event-Position');
  });
});
