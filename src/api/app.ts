import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { EventStore } from '../eventstore/port';
import type { SqlExecutor } from '../infrastructure/database';
import { AppError } from '../infrastructure/errors';
import type { HealthCheck } from '../infrastructure/health';
import { metricsRegistry } from '../infrastructure/metrics';
import type { IdempotencyStore } from '../application/idempotency/idempotency-store';
import type { OrderCommandService } from '../application/order-command-service';
import type { OrderUseCases } from '../application/use-cases/order-use-cases';
import { idempotencyMiddleware } from './idempotency';
import { accessLogger, jsonBody, requestContext, requireJsonBody } from './middleware';
import { buildOpenApiDocument } from './openapi';
import { problemHandler } from './problem';
import { docsRouter } from './routers/docs-router';
import { healthRouter } from './routers/health-router';
import { ordersRouter } from './routers/orders-router';
import { requestSchemas } from './schemas';

export interface AppDependencies {
  useCases: OrderUseCases;
  commands: OrderCommandService;
  eventStore: EventStore;
  /** Idempotency-Key support; without it the header is ignored. */
  idempotency?: { store: IdempotencyStore; db: SqlExecutor };
  limits: { bodyLimit: string; maxLineQuantity: number };
  /** One entry per dependency and worker for `/health/ready`. */
  healthChecks?: HealthCheck[];
  metrics?: Registry;
  /** Query routes (projections) mounted before the command routes, so they answer GET /api/orders/:id first. */
  queryRouters?: Router[];
  /** Other routers (admin, webhooks, …) mounted after the command routes. */
  extraRouters?: Router[];
  version?: string;
}

/** Builds the express app: health, docs, then /api with JSON bodies, idempotency, queries and commands, then problem+json errors. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestContext);
  app.use(accessLogger);
  app.use(helmet());

  app.use(healthRouter(deps.healthChecks ?? [], deps.metrics ?? metricsRegistry));
  app.use(docsRouter(buildOpenApiDocument({ maxLineQuantity: deps.limits.maxLineQuantity }, deps.version ?? '0.1.0')));

  app.use(requireJsonBody);
  app.use(jsonBody(deps.limits.bodyLimit));
  if (deps.idempotency) app.use(idempotencyMiddleware(deps.idempotency.store, deps.idempotency.db));

  for (const router of deps.queryRouters ?? []) app.use(router);
  app.use(
    ordersRouter({
      useCases: deps.useCases,
      commands: deps.commands,
      eventStore: deps.eventStore,
      schemas: requestSchemas({ maxLineQuantity: deps.limits.maxLineQuantity }),
    }),
  );
  for (const router of deps.extraRouters ?? []) app.use(router);

  app.use((req, _res, next) => {
    next(new AppError('ROUTE_NOT_FOUND', 404, { method: req.method, path: req.path }));
  });
  app.use(problemHandler);
  return app;
}
