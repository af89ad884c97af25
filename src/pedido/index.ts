export * from './events';
export * from './errors';
export * from './money';
export * from './state';
export * from './totals';
export * from './commands';
export * from './decide';
export * from './views';
export { checkImportedHistory } from './import';
