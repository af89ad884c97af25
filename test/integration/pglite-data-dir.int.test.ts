import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirInUseError, openDatabase } from '../../src/infrastructure/database';

describe('embedded data directory claim', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ordersvc-claim-'));
  });

  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('rejects a directory another live process holds', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(path.join(dataDir, 'ordersvc.pid'), String(holder.pid));
      const opening = openDatabase({ dataDir });
      await expect(opening).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(opening).rejects.toThrow(`in use by process ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('takes over a claim left by a process that ended', async () => {
    const ended = spawn('true');
    await new Promise((resolve) => ended.once('exit', resolve));
    fs.writeFileSync(path.join(dataDir, 'ordersvc.pid'), String(ended.pid));
    const db = await openDatabase({ dataDir });
    try {
      expect(fs.readFileSync(path.join(dataDir, 'ordersvc.pid'), 'utf8')).toBe(String(process.pid));
      const result = await db.query<{ answer: number }>('SELECT 42 AS answer');
      expect(result.rows[0].answer).toBe(42);
    } finally {
      await db.close();
    }
    expect(fs.existsSync(path.join(dataDir, 'ordersvc.pid'))).toBe(false);
  });
});
