export * from './port';
export { SqlEventStore, createSqlEventStore, type SqlEventStoreOptions } from './sql-event-store';
export { eventStoreMigrations } from './sql-migrations';
export { eventStoreHealthCheck } from './health';
