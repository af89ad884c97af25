import type { ErrorRequestHandler, Request, Response } from 'express';
import { AppError, ValidationError } from '../infrastructure/errors';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { currentContext } from '../infrastructure/request-context';
import { EventStoreUnavailableError, EventTooLargeError, WrongExpectedRevisionError } from '../eventstore/port';
import { ServiceUnavailableError } from '../integrations/ports';
import { errorText, fieldMessage, negotiateLanguage, type Language } from './messages';

const log = componentLogger('api');

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** An RFC 9457 problem document with the service's `code` and field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  errors?: { path: string; message: string }[];
  requestId?: string;
}

/** Maps a caught error to the AppError the client sees; errors with no client meaning become INTERNAL_ERROR. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ServiceUnavailableError) {
    return new AppError('SERVICE_UNAVAILABLE', 503, { service: error.service, retryAfterSeconds: error.retryAfterSeconds }, {
      'Retry-After': String(error.retryAfterSeconds),
    });
  }
  if (error instanceof EventStoreUnavailableError) return new AppError('EVENT_STORE_UNAVAILABLE', 503, {}, { 'Retry-After': '5' });
  if (error instanceof EventTooLargeError) return new AppError('EVENT_TOO_LARGE', 422, { bytes: error.bytes });
  if (error instanceof WrongExpectedRevisionError) return new AppError('CONCURRENCY_CONFLICT', 409, { attempts: 1 });
  const bodyParserError = bodyParserProblem(error);
  if (bodyParserError) return bodyParserError;
  return new AppError('INTERNAL_ERROR', 500);
}

// body-parser (express.json) marks its errors with `type` and `status`.
function bodyParserProblem(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, limit } = error as { type?: unknown; limit?: unknown };
  if (type === 'entity.parse.failed') return new AppError('MALFORMED_JSON', 400);
  if (type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 413, { limit: typeof limit === 'number' ? limit : null });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 415, { contentType: 'charset' });
  }
  return undefined;
}

export function problemType(code: string): string {
  return `urn:ordersvc:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** Builds the problem document for `error` in `language`. */
export function toProblem(error: AppError, language: Language, instance: string): Problem {
  const { title, detail } = errorText(error.code, error.params, language);
  const problem: Problem = { type: problemType(error.code), title, status: error.status, detail, instance, code: error.code };
  if (error instanceof ValidationError) {
    problem.errors = error.fieldErrors.map((field) => ({ path: field.path, message: fieldMessage(field.issue, field.params, language) }));
  }
  const requestId = currentContext()?.requestId;
  if (requestId) problem.requestId = requestId;
  return problem;
}

export function sendProblem(req: Request, res: Response, error: AppError): void {
  const problem = toProblem(error, negotiateLanguage(req.get('accept-language')), req.originalUrl.split('?')[0]);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** The last middleware: every error becomes problem+json, and only unexpected ones are logged as errors. */
export const problemHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const appError = toAppError(error);
  if (appError.status >= 500) {
    log.error('request failed', { method: req.method, path: req.path, code: appError.code, ...errorFields(error) });
  }
  res.vary('Accept-Language');
  sendProblem(req, res, appError);
};
