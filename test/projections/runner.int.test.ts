import type { RecordedEvent } from '../../src/eventstore/port';
import { openDatabase, type SqlDatabase, type SqlExecutor } from '../../src/infrastructure/database';
import { ProjectionRunner, ProjectionsWorker, ordersProjection, statisticsProjection, type Projection } from '../../projections';
import { readCheckpoint } from '../../projections/checkpoints';
import { projectionMetrics } from '../../projections/metrics';
import { OrderFacts, appendOrder, eventually, openProjectionTestEnv, plusHours, readLogUntil, type ProjectionTestEnv } from './fixtures';

const fastRetries = { retryBaseMs: 50, retryMaxMs: 200, idleWaitMs: 500, standbyRetryMs: 100 };

async function dumpTable(db: SqlExecutor, table: string): Promise<unknown[]> {
  const result = await db.query(`SELECT * FROM ${table} ORDER BY order_id`);
  return result.rows;
}

function sampleOrder(index: number): OrderFacts {
  const created = new Date(Date.UTC(2024, 0, 1 + index, 10)).toISOString();
  const order = new OrderFacts('EUR', `customer-${index % 3}`, created)
    .addLine(`p-${index}`, 2, '10.00')
    .shipping('4.90');
  if (index % 2 === 0) {
    order.requestPayment(`pay-${index}`, 'card', '24.90', plusHours(created, 1));
    order.receivePayment(`pay-${index}`, 'card', '24.90', plusHours(created, 2));
    order.confirm('24.90', plusHours(created, 2));
  }
  return order;
}

async function appendOrders(env: ProjectionTestEnv, count: number, offset = 0): Promise<string> {
  let position = '';
  for (let index = offset; index < offset + count; index += 1) position = await appendOrder(env.store, sampleOrder(index));
  return position;
}

/** Wraps a projection to count applied events and optionally fail on one event. */
function instrumented(inner: Projection) {
  const applied = new Map<string, number>();
  let active = 0;
  const state = {
    failOn: undefined as string | undefined,
    overlapped: false,
    applied,
  };
  const projection: Projection = {
    ...inner,
    async applyBatch(tx: SqlExecutor, events: readonly RecordedEvent[]) {
      active += 1;
      if (active > 1) state.overlapped = true;
      try {
        const failing = events.find((event) => event.id === state.failOn);
        if (failing) {
          // Write the events before it first, so a rollback must undo real writes.
          await inner.applyBatch(tx, events.slice(0, events.indexOf(failing)));
          throw new Error('handler bug');
        }
        const result = await inner.applyBatch(tx, events);
        // Counts every batch that applied; a rollback after it would show up as a count above 1.
        for (const event of events) applied.set(event.id, (applied.get(event.id) ?? 0) + 1);
        return result;
      } finally {
        active -= 1;
      }
    },
  };
  return { projection, state };
}

describe('projection runner', () => {
  let env: ProjectionTestEnv;

  beforeEach(async () => {
    env = await openProjectionTestEnv();
  });

  afterEach(async () => {
    await env.close();
  });

  it('builds order views from the log and waits for a position', async () => {
    const position = await appendOrders(env, 5);
    const events = await readLogUntil(env.store, position);
    const worker = new ProjectionsWorker({ db: env.db, store: env.store, runnerOptions: fastRetries });
    const lagOf = async (gauge: typeof projectionMetrics.lagEvents) =>
      (await gauge.get()).values.find((value) => value.labels.projection === 'orders')?.value;
    await worker.sampleLag();
    expect(await lagOf(projectionMetrics.lagEvents)).toBe(events.length);
    expect(await lagOf(projectionMetrics.lagSeconds)).toBeGreaterThan(0);
    await worker.start();
    try {
      expect(await worker.waitForPosition(position, ['orders', 'statistics'], 30_000)).toBe(true);
      await worker.sampleLag();
      expect(await lagOf(projectionMetrics.lagEvents)).toBe(0);
      expect(await lagOf(projectionMetrics.lagSeconds)).toBe(0);
      const views = await env.db.query<{ status: string; total_amount: string }>('SELECT status, total_amount FROM order_views');
      expect(views.rows).toHaveLength(5);
      expect(views.rows.filter((row) => row.status === 'confirmed')).toHaveLength(3);
      expect(new Set(views.rows.map((row) => row.total_amount))).toEqual(new Set(['24.90']));
      const checks = await Promise.all(worker.healthChecks().map((check) => check.check()));
      expect(checks.map((check) => check.status)).toEqual(['up', 'up']);
    } finally {
      await worker.stop();
    }
  });

  it('gives the same read model when a batch is applied twice', async () => {
    const last = await appendOrders(env, 4);
    const events = await readLogUntil(env.store, last);
    for (const projection of [ordersProjection, statisticsProjection]) {
      await env.db.transaction((tx) => projection.applyBatch(tx, events));
      const once = await dumpTable(env.db, projection.tables[0]);
      await env.db.transaction((tx) => projection.applyBatch(tx, events));
      await env.db.transaction((tx) => projection.applyBatch(tx, events.slice(0, 3)));
      const twice = await dumpTable(env.db, projection.tables[0]);
      expect(twice).toEqual(once);
      expect(once).toHaveLength(4);
    }
  });

  it('stops at a failing event and resumes without loss or doubling', async () => {
    const lastAppended = await appendOrders(env, 6);
    const events = await readLogUntil(env.store, lastAppended);
    const failing = events[Math.floor(events.length / 2)];
    const { projection, state } = instrumented(ordersProjection);
    state.failOn = failing.id;
    const worker = new ProjectionsWorker({ db: env.db, store: env.store, projections: [projection], runnerOptions: { ...fastRetries, batchSize: 1000 } });
    const runner = worker.runners[0];
    const [health] = worker.healthChecks();
    await worker.start();
    try {
      await eventually(async () => runner.status().state === 'failing', 30_000, 'the runner to report the failure');
      const status = runner.status();
      expect(status.failure?.eventId).toBe(failing.id);
      expect(status.failure?.type).toBe(failing.type);
      const stoppedAt = await readCheckpoint(env.db, 'orders');
      expect(stoppedAt.position).toBe(events[events.indexOf(failing) - 1].position);
      const degraded = await health.check();
      expect(degraded.status).toBe('degraded');
      expect(degraded.detail).toContain(failing.id);
      const failingMetric = await projectionMetrics.failing.get();
      expect(failingMetric.values.find((value) => value.labels.projection === 'orders')?.value).toBe(1);

      state.failOn = undefined;
      const last = events[events.length - 1].position;
      await eventually(async () => (await readCheckpoint(env.db, 'orders')).position === last, 30_000, 'the runner to resume');
      expect(runner.status().state).toBe('running');
      expect((await health.check()).status).toBe('up');
    } finally {
      await worker.stop();
    }
    const counts = await env.db.query<{ events_applied: string }>(
      "SELECT events_applied FROM projection_checkpoints WHERE projection = 'orders'",
    );
    expect(Number(counts.rows[0].events_applied)).toBe(events.length);
    const committedTwice = [...state.applied.entries()].filter(([, count]) => count > 1);
    expect(committedTwice).toEqual([]);

    const live = await dumpTable(env.db, 'order_views');
    await env.db.query('TRUNCATE order_views');
    await env.db.transaction((tx) => ordersProjection.applyBatch(tx, events));
    expect(await dumpTable(env.db, 'order_views')).toEqual(live);
  });

  it('resumes after the worker is killed inside a batch', async () => {
    const lastAppended = await appendOrders(env, 6);
    const events = await readLogUntil(env.store, lastAppended);
    const instanceDb = await openDatabase({ databaseUrl: env.testDb.url, dataDir: 'unused', poolSize: 4 });
    let blocked = false;
    const blocking: Projection = {
      ...ordersProjection,
      async applyBatch(tx, batch) {
        const result = await ordersProjection.applyBatch(tx, batch);
        if (!blocked) {
          blocked = true;
          await tx.query('SELECT pg_sleep(60)');
        }
        return result;
      },
    };
    const doomed = new ProjectionRunner(instanceDb, env.store, blocking, { ...fastRetries, batchSize: 4 });
    doomed.start();
    await eventually(async () => blocked, 30_000, 'the batch to start');
    // Kill every connection of the doomed instance, as if its process died mid-transaction.
    await env.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'`,
    );
    await env.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(60)%'`,
    );
    await doomed.stop();
    await instanceDb.close().catch(() => undefined);
    expect((await readCheckpoint(env.db, 'orders')).position).toBeNull();
    expect((await env.db.query('SELECT 1 FROM order_views')).rows).toHaveLength(0);

    const survivor = new ProjectionRunner(env.db, env.store, ordersProjection, fastRetries);
    survivor.start();
    const last = events[events.length - 1].position;
    await eventually(async () => (await readCheckpoint(env.db, 'orders')).position === last, 30_000, 'the survivor to catch up');
    await survivor.stop();
    const applied = await env.db.query<{ events_applied: string }>(
      "SELECT events_applied FROM projection_checkpoints WHERE projection = 'orders'",
    );
    expect(Number(applied.rows[0].events_applied)).toBe(events.length);
    expect((await env.db.query('SELECT 1 FROM order_views')).rows).toHaveLength(6);
  });

  it('lets only one of two instances run a projection', async () => {
    const first = await openDatabase({ databaseUrl: env.testDb.url, dataDir: 'unused', poolSize: 4 });
    const second = await openDatabase({ databaseUrl: env.testDb.url, dataDir: 'unused', poolSize: 4 });
    const { projection, state } = instrumented(ordersProjection);
    const runners = [first, second].map(
      (db: SqlDatabase) => new ProjectionRunner(db, env.store, projection, { ...fastRetries, batchSize: 3 }),
    );
    try {
      for (const runner of runners) runner.start();
      const firstHead = await appendOrders(env, 8);
      let events = await readLogUntil(env.store, firstHead);
      await eventually(
        async () => (await readCheckpoint(env.db, 'orders')).position === events[events.length - 1].position,
        30_000,
        'the first events to be applied',
      );
      const states = runners.map((runner) => runner.status().state).sort();
      expect(states).toEqual(['running', 'standby']);

      // The leader's instance dies: its lock session ends, and the standby takes over.
      const leaderIndex = runners.findIndex((runner) => runner.status().state === 'running');
      await runners[leaderIndex].stop();
      await [first, second][leaderIndex].close();
      const secondHead = await appendOrders(env, 4, 8);
      events = await readLogUntil(env.store, secondHead);
      await eventually(
        async () => (await readCheckpoint(env.db, 'orders')).position === events[events.length - 1].position,
        30_000,
        'the standby to take over',
      );
      expect(runners[1 - leaderIndex].status().state).toBe('running');
      expect(state.overlapped).toBe(false);
      expect([...state.applied.values()].every((count) => count === 1)).toBe(true);
      expect(state.applied.size).toBe(events.length);
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
      await first.close().catch(() => undefined);
      await second.close().catch(() => undefined);
    }
  });
});
