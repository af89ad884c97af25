import { ConfigError, loadConfig } from './infrastructure/config';
import { componentLogger, errorFields } from './infrastructure/logger';
import { startService } from './service';

const log = componentLogger('main');

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const service = await startService(config);
  const shutdown = (signal: NodeJS.Signals) => {
    log.info('shutdown requested', { signal });
    service
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error('shutdown failed', errorFields(error));
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  log.error('service failed to start', errorFields(error));
  process.exit(1);
});
