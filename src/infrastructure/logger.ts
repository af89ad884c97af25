import winston from 'winston';
import { currentContext } from './request-context';

// Adds the request or message id of the current async context to every line.
const addContext = winston.format((info) => {
  const context = currentContext();
  if (context?.requestId) info.requestId = context.requestId;
  if (context?.messageId) info.messageId = context.messageId;
  if (context?.correlationId) info.correlationId = context.correlationId;
  return info;
});

/** The service's JSON logger; every module takes a child with its own `component` field. */
export const logger = winston.createLogger({
  level: process.env.LOG_LEVEL ?? 'info',
  format: winston.format.combine(addContext(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
  defaultMeta: { service: 'ordersvc' },
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
});

export function componentLogger(component: string): winston.Logger {
  return logger.child({ component });
}

/** Turns a caught value into log fields without request bodies or secrets. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.message, errorName: error.name, ...(code !== undefined ? { errorCode: code } : {}) };
  }
  return { error: String(error) };
}
