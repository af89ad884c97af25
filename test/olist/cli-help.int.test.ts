import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

async function help(script: string, ...extra: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', script, '--help', ...extra], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'error' },
  });
  return stdout;
}

describe('command-line help', () => {
  it('lists the import options in Spanish', async () => {
    const text = await help('scripts/olist/import.ts');
    expect(text).toContain('Uso: npm run import:olist');
    expect(text).toContain('--time-zone ZONA');
  });

  it('lists the stats options in English', async () => {
    const text = await help('scripts/olist/stats.ts', '--lang', 'en');
    expect(text).toContain('Usage: npm run stats');
    expect(text).toContain('--group-by PERIOD');
  });
});
