import { randomUUID } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { Histogram } from 'prom-client';
import { AppError } from '../infrastructure/errors';
import { componentLogger } from '../infrastructure/logger';
import { metricsRegistry } from '../infrastructure/metrics';
import { runWithContext } from '../infrastructure/request-context';

const accessLog = componentLogger('http');

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes X-Request-Id from the client when it is well formed (else makes one), echoes it, and runs the request in its log context. */
export const requestContext: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const requestId = incoming && requestIdPattern.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', requestId);
  runWithContext({ requestId, correlationId: requestId }, () => next());
};

const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer HTTP requests, by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

/** Logs one line per request (method, path, status, duration; never bodies or query strings) and records the latency metric. */
export const accessLogger: RequestHandler = (req, res, next) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
    httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
    // winston formats every entry before its transports drop it by level, so a disabled access log is skipped here.
    if (!accessLog.isLevelEnabled('info')) return;
    accessLog.info('request completed', {
      method: req.method,
      path: req.originalUrl.split('?')[0],
      status: res.statusCode,
      ms: Math.round(seconds * 10_000) / 10,
    });
  });
  next();
};

/** A request that carries a body must send it as JSON; others get 415 before anything is parsed. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) {
    next();
    return;
  }
  const contentType = req.headers['content-type'];
  if (!contentType || !isJsonType(contentType)) {
    next(new AppError('UNSUPPORTED_MEDIA_TYPE', 415, { contentType: contentType ?? null }));
    return;
  }
  next();
};

function isJsonType(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** JSON body parser; non-strict so that `null` or a scalar reaches the schema and gets a field-level 400. */
export function jsonBody(limit: string): RequestHandler {
  return express.json({ limit, strict: false, type: (req) => isJsonType(String(req.headers['content-type'] ?? '')) });
}
