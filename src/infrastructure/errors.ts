import type { ZodError } from 'zod';

/**
 * An error meant for the client: a stable UPPER_SNAKE `code`, the HTTP
 * status, and parameters for the Spanish and English texts that the API's
 * message catalog (`src/api/messages.ts`) keeps for each code.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly params: Record<string, string | number | boolean | null> = {},
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code} ${JSON.stringify(params)}`);
    this.name = 'AppError';
  }
}

export interface FieldError {
  /** Location of the bad value, e.g. `body.items.0.quantity` or `query.limit`. */
  path: string;
  /** Stable kind of problem, translated by the message catalog (e.g. `too_small`, `invalid_type`). */
  issue: string;
  /** Parameters of the problem (minimum, expected type, …). */
  params: Record<string, string | number | boolean | null>;
}

/** Request input that failed validation: 400 `VALIDATION_FAILED` with one entry per bad field. */
export class ValidationError extends AppError {
  constructor(readonly fieldErrors: FieldError[]) {
    super('VALIDATION_FAILED', 400, { count: fieldErrors.length });
    this.name = 'ValidationError';
  }

  static fromZod(error: ZodError, location: 'body' | 'query' | 'params' | 'headers'): ValidationError {
    return new ValidationError(
      error.issues.map((issue) => {
        const params: FieldError['params'] = {};
        for (const key of ['minimum', 'maximum', 'expected', 'format', 'origin'] as const) {
          const value = (issue as unknown as Record<string, unknown>)[key];
          if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') params[key] = value;
          if (typeof value === 'bigint') params[key] = Number(value);
        }
        if (issue.code === 'unrecognized_keys') params.keys = issue.keys.join(', ');
        if (issue.code === 'custom' || issue.code === 'invalid_format') params.message = issue.message;
        return { path: [location, ...issue.path.map(String)].join('.'), issue: issue.code, params };
      }),
    );
  }
}
