import { OrderCommandService } from '../../application/order-command-service';
import { createSqlEventStore, eventStoreMigrations, type EventStore } from '../../eventstore';
import type { Config } from '../../infrastructure/config';
import { openDatabase, type SqlDatabase } from '../../infrastructure/database';
import { migrate } from '../../infrastructure/migrations';

/** Database, event store and command handling that the import and stats commands run on. */
export interface CommandRuntime {
  db: SqlDatabase;
  eventStore: EventStore;
  commands: OrderCommandService;
  close(): Promise<void>;
}

/**
 * Opens the database the service is configured with (PostgreSQL when
 * DATABASE_URL is set, else the embedded PGlite in DATA_DIR), applies the
 * event store's migrations and builds the command handling on it.
 */
export async function openCommandRuntime(config: Config, options: { poolSize?: number } = {}): Promise<CommandRuntime> {
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: options.poolSize });
  try {
    await migrate(db, eventStoreMigrations);
    const eventStore = createSqlEventStore(db);
    const commands = new OrderCommandService({
      eventStore,
      db,
      maxLineQuantity: config.MAX_LINE_QUANTITY,
      retries: config.COMMAND_RETRIES,
      // Each imported order is written once, so caching its state would only hold memory.
      cacheSize: 0,
    });
    return {
      db,
      eventStore,
      commands,
      async close() {
        await eventStore.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
