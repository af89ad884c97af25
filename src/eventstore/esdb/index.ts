export { EsdbEventStore, createEsdbEventStore, ORDER_STREAM_PREFIX, type EsdbEventStoreOptions } from './esdb-event-store';
export { createEsdbHealthCheck } from './esdb-health';
