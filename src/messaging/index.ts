export { asyncApiRouter, buildAsyncApiDocument, type AsyncApiOptions } from './asyncapi';
export { publishedEventTypes, routingKeyFor, type PublishedEvent, type PublishedEventType } from './contracts';
export { InboxProcessor, PoisonMessageError, type InboundMessage, type InboxOutcome, type OrderCommandPort, type ReferenceDataWriter } from './inbox';
export { InboxWorker, defaultInboxBindings, type InboxWorkerOptions } from './inbox-worker';
export { messagingMigrations } from './migrations';
export { pedidoFold } from './pedido-fold';
export { RelayWorker, type RelayOptions } from './relay';
