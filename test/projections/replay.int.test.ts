import { execFile } from 'node:child_process';
import path from 'node:path';
import { OrderFacts, appendOrder, openProjectionTestEnv, readLogUntil, type ProjectionTestEnv } from './fixtures';

const root = path.resolve(__dirname, '../..');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/replay.ts` with ts-node and returns its exit code and output. */
function replay(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'scripts/replay.ts', ...args],
      { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('replay command', () => {
  let env: ProjectionTestEnv;

  beforeAll(async () => {
    env = await openProjectionTestEnv();
  });

  afterAll(async () => {
    await env.close();
  });

  it('rejects a bad value with exit code 2', async () => {
    const spanish = await replay(['--projection', 'ledger'], { DATABASE_URL: env.testDb.url });
    expect(spanish.code).toBe(2);
    expect(spanish.stderr).toContain('La proyección "ledger" no existe');
    const english = await replay(['--until', 'last week', '--lang', 'en'], { DATABASE_URL: env.testDb.url });
    expect(english.code).toBe(2);
    expect(english.stderr).toContain('--until "last week" is not a valid time');
  });

  it('rebuilds and builds statistics as of a time', async () => {
    const order = new OrderFacts('EUR', 'c1', '2024-01-10T10:00:00.000Z').addLine('p1', 2, '10.00');
    const head = await appendOrder(env.store, order);
    const events = await readLogUntil(env.store, head);

    const rebuilt = await replay(['--lang', 'en'], { DATABASE_URL: env.testDb.url });
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain(`Done: ${events.length} events`);
    const views = await env.db.query<{ order_id: string; revision: number }>('SELECT order_id, revision FROM order_views');
    expect(views.rows).toEqual([{ order_id: order.orderId, revision: events.length - 1 }]);

    const asOf = await replay(['--until', '2024-01-11T00:00:00Z', '--schema', 'stats_replay_test'], { DATABASE_URL: env.testDb.url });
    expect(asOf.code).toBe(0);
    expect(asOf.stdout).toContain('stats_replay_test');
    const stats = await env.db.query<{ total_minor: string }>('SELECT total_minor FROM stats_replay_test.order_stats');
    expect(stats.rows).toEqual([{ total_minor: '2000' }]);

    const again = await replay(['--until', '2024-01-11T00:00:00Z', '--schema', 'stats_replay_test'], { DATABASE_URL: env.testDb.url });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('El esquema "stats_replay_test" ya existe');
  });
});
