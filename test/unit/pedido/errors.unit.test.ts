import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../src/infrastructure/errors';
import { DomainError, domainErrorStatus, type DomainErrorCode } from '../../../src/pedido';

/** Reads the code table from the doc comment of errors.ts, which the API's message catalog relies on. */
function documentedCodes(): Map<string, number> {
  const source = readFileSync(join(__dirname, '../../../src/pedido/errors.ts'), 'utf8');
  const rows = [...source.matchAll(/^ \* \| ([A-Z_]+) \| (\d{3}) \|/gm)];
  return new Map(rows.map((row) => [row[1], Number(row[2])]));
}

describe('DomainError', () => {
  it('is an AppError with the status of its code', () => {
    const error = new DomainError('DISCOUNT_INVALID', { code: 'X', reason: 'expired' });
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(422);
    expect(error.code).toBe('DISCOUNT_INVALID');
    expect(error.params).toEqual({ code: 'X', reason: 'expired' });
  });

  it('documents every code with its status', () => {
    const documented = documentedCodes();
    const codes = Object.keys(domainErrorStatus) as DomainErrorCode[];
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
    for (const code of codes) expect([code, documented.get(code)]).toEqual([code, domainErrorStatus[code]]);
  });
});
