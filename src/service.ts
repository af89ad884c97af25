import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import type { Express, Router } from 'express';
import { createApp } from './api/app';
import type { InFlightRequests } from './api/middleware';
import {
  IdempotencyStore,
  OrderCommandService,
  OrderUseCases,
  PromotionRepository,
  applicationMigrations,
  readPromotionsFile,
} from './application';
import { createSqlEventStore, eventStoreHealthCheck, eventStoreMigrations, type EventStore } from './eventstore';
import { EsdbEventStore, createEsdbEventStore, createEsdbHealthCheck } from './eventstore/esdb';
import { resolvePath, type Config } from './infrastructure/config';
import { openDatabase, redactUrl, type SqlDatabase } from './infrastructure/database';
import type { BackgroundWorker, HealthCheck } from './infrastructure/health';
import { componentLogger, errorFields } from './infrastructure/logger';
import { migrate, type Migration } from './infrastructure/migrations';
import { createIntegrations, referenceDataMigrations, type Integrations } from './integrations';
import { InboxProcessor, InboxWorker, RelayWorker, asyncApiRouter, messagingMigrations, pedidoFold } from './messaging';
import { CheckpointWatcher, OrderCache, ProjectionsWorker, createQueryRouter, projectionMigrations } from '../projections';
import { createProcessManager, processManagerMigrations } from './workflow';
import { dashboardRouter } from './dashboard/router';

const log = componentLogger('service');

/** The promotions file used when PROMOTIONS_FILE is not set (found next to the compiled file or in src/). */
export const SAMPLE_PROMOTIONS_FILE =
  [path.join(__dirname, 'application/promotions/sample-promotions.json'), path.resolve(__dirname, '../../src/application/promotions/sample-promotions.json')].find(
    (file) => fs.existsSync(file),
  ) ?? path.join(__dirname, 'application/promotions/sample-promotions.json');

/** Parts a caller (tests, the integrator) can supply instead of the defaults built from the configuration. */
export interface ServiceOverrides {
  db?: SqlDatabase;
  eventStore?: EventStore;
  integrations?: Integrations;
  migrations?: Migration[];
  healthChecks?: HealthCheck[];
  queryRouters?: Router[];
  workers?: BackgroundWorker[];
  /** Listen on this port instead of PORT (0 picks a free one). */
  port?: number;
}

export interface RunningService {
  app: Express;
  server: Server;
  /** The port the server listens on. */
  port: number;
  db: SqlDatabase;
  eventStore: EventStore;
  commands: OrderCommandService;
  stop(): Promise<void>;
}

const IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Starts the service: opens the database, applies every migration, builds the
 * event store, ports, command handling and the express app, starts the
 * background workers, and listens. `stop()` undoes it in reverse order.
 */
export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<RunningService> {
  // 1. Storage.
  const ownsDb = !overrides.db;
  const db = overrides.db ?? (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR }));
  await migrate(db, [
    ...eventStoreMigrations,
    ...referenceDataMigrations,
    ...applicationMigrations,
    ...projectionMigrations,
    ...processManagerMigrations,
    ...messagingMigrations,
    ...(overrides.migrations ?? []),
  ]);
  const eventStore = overrides.eventStore ?? openEventStore(config, db);

  // 2. Command handling and the ports it needs.
  const commands = new OrderCommandService({ eventStore, db, maxLineQuantity: config.MAX_LINE_QUANTITY, retries: config.COMMAND_RETRIES });
  // The PaymentSvc stand-in delivers its PagoConfirmado through the inbox, the same path as a RabbitMQ message.
  const inboxProcessor = new InboxProcessor({ db, commands });
  const integrations = overrides.integrations ?? (await createIntegrations(config, { db, deliver: (message) => inboxProcessor.process(message) }));
  const promotions = new PromotionRepository(db);
  const promotionsFile = config.PROMOTIONS_FILE ? resolvePath(config.PROMOTIONS_FILE) : SAMPLE_PROMOTIONS_FILE;
  const promotionCount = await promotions.load(readPromotionsFile(promotionsFile));
  const useCases = new OrderUseCases({
    commands,
    catalog: integrations.productCatalog,
    customers: integrations.customerDirectory,
    shipping: integrations.shippingRates,
    payments: integrations.paymentGateway,
    promotions,
    defaultCurrency: config.DEFAULT_CURRENCY,
  });
  const idempotency = new IdempotencyStore(db, { ttlMs: config.IDEMPOTENCY_TTL });
  const purgeTimer = startIdempotencyPurge(idempotency);

  // 3. Read side and workflow: each background role runs only where ROLES names it.
  const roles = new Set(config.ROLES);
  const cache = config.REDIS_URL ? new OrderCache({ url: config.REDIS_URL }) : undefined;
  const projections = roles.has('projections') ? new ProjectionsWorker({ db, store: eventStore, cache }) : undefined;
  const queryRouter = createQueryRouter({
    db,
    positions: projections ?? new CheckpointWatcher(db),
    readYourWritesTimeoutMs: config.READ_YOUR_WRITES_TIMEOUT,
    defaultCurrency: config.DEFAULT_CURRENCY,
    cache,
    eventStore,
  });
  const processManager = roles.has('saga') ? createProcessManager(config, { db, eventStore, commands, integrations }) : undefined;
  const relay = roles.has('relay')
    ? new RelayWorker({ db, store: eventStore, fold: pedidoFold, rabbitmqUrl: config.RABBITMQ_URL, exchange: config.EVENTS_EXCHANGE, batchSize: config.RELAY_BATCH_SIZE })
    : undefined;
  const inbox = roles.has('inbox')
    ? new InboxWorker({
        processor: inboxProcessor,
        rabbitmqUrl: config.RABBITMQ_URL,
        queue: config.INBOX_QUEUE,
        bindings: config.INBOX_BINDINGS,
        prefetch: config.INBOX_PREFETCH,
        maxAttempts: config.INBOX_MAX_ATTEMPTS,
        retryDelayMs: config.INBOX_RETRY_DELAY,
      })
    : undefined;
  const workers: BackgroundWorker[] = [
    ...(projections ? [projections] : []),
    ...(processManager ? [processManager] : []),
    ...(relay ? [relay] : []),
    ...(inbox ? [inbox] : []),
    ...(overrides.workers ?? []),
  ];
  const workerHealthChecks: HealthCheck[] = [
    ...(projections?.healthChecks() ?? []),
    ...(processManager ? [processManager.healthCheck()] : []),
    ...(relay ? [relay.healthCheck()] : []),
    ...(inbox ? [inbox.healthCheck()] : []),
    ...(cache ? [cache.healthCheck()] : []),
  ];

  // 4. HTTP.
  const app = createApp({
    useCases,
    commands,
    eventStore,
    idempotency: { store: idempotency, db },
    limits: { bodyLimit: config.BODY_LIMIT, maxLineQuantity: config.MAX_LINE_QUANTITY },
    healthChecks: [
      databaseHealthCheck(db),
      healthCheckOf(eventStore),
      ...integrations.healthChecks,
      ...workerHealthChecks,
      ...(overrides.healthChecks ?? []),
    ],
    queryRouters: [queryRouter, ...(overrides.queryRouters ?? [])],
    extraRouters: [
      dashboardRouter({ defaultCurrency: config.DEFAULT_CURRENCY }),
      asyncApiRouter({ eventsExchange: config.EVENTS_EXCHANGE, inboxQueue: config.INBOX_QUEUE, inboxBindings: config.INBOX_BINDINGS }),
    ],
  });

  // 5. Workers, then the listener.
  for (const worker of workers) await worker.start();
  const server = await listen(app, overrides.port ?? config.PORT, config.HOST);
  const port = (server.address() as AddressInfo).port;

  log.info('service started', {
    port,
    eventStore: eventStore.description,
    readDatabase: db.description,
    broker: config.RABBITMQ_URL ? redactUrl(config.RABBITMQ_URL) : 'none (events wait in the log until a broker is configured)',
    cache: config.REDIS_URL ? redactUrl(config.REDIS_URL) : 'none',
    roles: config.ROLES,
    promotionsFile,
    promotions: promotionCount,
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info('service stopping');
      await closeServer(server);
      // A handler whose client hung up may still be writing; it gets its time before the database closes.
      await (app.locals.inFlight as InFlightRequests).drained(10_000);
      clearInterval(purgeTimer);
      for (const worker of [...workers].reverse()) await worker.stop().catch((error: unknown) => log.error('worker did not stop cleanly', { worker: worker.name, ...errorFields(error) }));
      await integrations.stop();
      await cache?.close();
      await eventStore.close();
      if (ownsDb) await db.close();
      log.info('service stopped');
    })();
    return stopping;
  };
  return { app, server, port, db, eventStore, commands, stop };
}

/**
 * Opens EventStoreDB when `EVENTSTORE_URL` is set, otherwise the SQL event
 * store in `db`. With EventStoreDB, `db` still contains the read models,
 * checkpoints, idempotency keys and inbox.
 */
function openEventStore(config: Config, db: SqlDatabase): EventStore {
  if (config.EVENTSTORE_URL) return createEsdbEventStore({ connectionString: config.EVENTSTORE_URL, db });
  return createSqlEventStore(db);
}

function healthCheckOf(eventStore: EventStore): HealthCheck {
  return eventStore instanceof EsdbEventStore ? createEsdbHealthCheck(eventStore) : eventStoreHealthCheck(eventStore);
}

function databaseHealthCheck(db: SqlDatabase): HealthCheck {
  return {
    name: 'database',
    required: true,
    async check() {
      await db.query('SELECT 1');
      return { status: 'up', detail: db.kind };
    },
  };
}

function startIdempotencyPurge(store: IdempotencyStore): NodeJS.Timeout {
  const purge = () =>
    store
      .purgeExpired()
      .then((count) => count > 0 && log.info('expired idempotency keys purged', { count }))
      .catch((error: unknown) => log.warn('idempotency key purge failed', errorFields(error)));
  void purge();
  const timer = setInterval(purge, IDEMPOTENCY_PURGE_INTERVAL_MS);
  timer.unref();
  return timer;
}

function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** Stops accepting connections, lets requests in flight finish for up to 10 s, then closes what is left. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
