/**
 * Opens /dashboard in headless Chromium (Debian's `chromium` package driven
 * by playwright-core) against real statistics: part of the Olist sample
 * imported into PostgreSQL and served by the projections' query router.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/infrastructure/config';
import { importOlistDataset } from '../../src/import/olist/importer';
import { openCommandRuntime, type CommandRuntime } from '../../src/import/olist/runtime';
import { catchUpProjections } from '../../src/reports/catch-up';
import { dashboardRouter } from '../../src/dashboard/router';
import { problemHandler } from '../../src/api/problem';
import { createQueryRouter } from '../../projections/router';
import { CheckpointWatcher } from '../../projections/read-your-writes';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { findOlistSample } from './support/dataset';

const CHROMIUM = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const sampleDir = findOlistSample();
const skipReason = !fs.existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`
  : !sampleDir
    ? 'no Olist sample found (set OLIST_DATA_DIR to the folder with the CSV files)'
    : undefined;
if (skipReason) console.warn(`Skipping the dashboard test: ${skipReason}.`);
const describeInBrowser = skipReason ? describe.skip : describe;

// Read models must reach the import's last event within this; a failure beats a silent hang.
const CATCH_UP_MS = 3 * 60_000;
const LONG = 5 * 60_000;
const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');

describeInBrowser('dashboard in headless Chromium', () => {
  let database: TestDatabase;
  let runtime: CommandRuntime;
  let watcher: CheckpointWatcher;
  let server: Server;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    database = await createTestDatabase('olist_dashboard');
    runtime = await openCommandRuntime(loadConfig({ DATABASE_URL: database.url }), { poolSize: 6 });
    const report = await importOlistDataset({ dir: sampleDir as string, timeZone: 'America/Sao_Paulo', limit: 600, target: runtime.commands });
    expect(report.failed).toEqual([]);
    expect((await catchUpProjections(runtime.db, runtime.eventStore, { timeoutMs: CATCH_UP_MS, until: report.lastPosition })).caughtUp).toBe(true);

    watcher = new CheckpointWatcher(runtime.db);
    const app = express();
    app.use(createQueryRouter({ db: runtime.db, positions: watcher, readYourWritesTimeoutMs: 1_000, defaultCurrency: 'BRL' }));
    app.use(dashboardRouter({ defaultCurrency: 'BRL', defaultTimeZone: 'America/Sao_Paulo' }));
    app.use(problemHandler);
    server = await new Promise<Server>((resolve) => {
      const started = app.listen(0, '127.0.0.1', () => resolve(started));
    });
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await watcher?.close();
    await runtime?.close();
    await database?.drop();
  });

  async function open(query: string): Promise<void> {
    await page.goto(`${baseUrl}/dashboard?${query}`);
    await page.waitForSelector('#dashboard[data-loaded]', { timeout: 60_000 });
  }

  it('draws every chart with data', async () => {
    await open('from=2016-01-01&to=2019-01-01&groupBy=month&timeZone=America/Sao_Paulo&currency=BRL');

    expect(await page.getAttribute('#dashboard', 'data-loaded')).toBe('true');
    for (const chart of ['chart-sales', 'chart-orders', 'chart-status', 'chart-payments', 'chart-stages']) {
      const marks = await page.locator(`#${chart} .mark`).count();
      expect({ chart, hasMarks: marks > 0 }).toEqual({ chart, hasMarks: true });
    }
    const statusMarks = await page.locator('#chart-status .mark').evaluateAll((nodes) => nodes.map((node) => Number(node.getAttribute('data-value'))));
    expect(statusMarks.reduce((sum, value) => sum + value, 0)).toBe(600);
    expect(await page.textContent('#orders')).toBe('600');

    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'dashboard.png'), fullPage: true });
  });

  it('shows the figures of the stats endpoint', async () => {
    await open('from=2017-01-01&to=2018-01-01&groupBy=month&timeZone=America/Sao_Paulo&currency=BRL&lang=en');
    const response = await fetch(`${baseUrl}/api/orders/stats?from=2017-01-01&to=2018-01-01&groupBy=month&timeZone=America/Sao_Paulo&currency=BRL`);
    const stats = (await response.json()) as { orders: number; series: { orders: number }[] };

    expect(await page.textContent('#orders')).toBe(new Intl.NumberFormat('en-US').format(stats.orders));
    const dots = await page.locator('#chart-orders .mark').evaluateAll((nodes) => nodes.map((node) => Number(node.getAttribute('data-value'))));
    expect(dots).toEqual(stats.series.map((point) => point.orders));
  });

  it('switches between Spanish and English', async () => {
    await open('from=2017-01-01&to=2018-01-01&currency=BRL');
    expect(await page.textContent('h1')).toBe('Panel de pedidos');
    expect(await page.getAttribute('html', 'lang')).toBe('es');

    await page.click('button[data-lang="en"]');
    expect(await page.textContent('h1')).toBe('Orders dashboard');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(page.url()).toContain('lang=en');
  });

  it('reloads for a new period and time zone', async () => {
    await open('from=2017-01-01&to=2018-01-01&groupBy=month&timeZone=America/Sao_Paulo&currency=BRL');
    await page.fill('input[name=from]', '2017-03-01');
    await page.fill('input[name=to]', '2017-04-01');
    await page.selectOption('select[name=groupBy]', 'day');
    await page.selectOption('select[name=timeZone]', 'UTC');
    await page.click('#filters button[type=submit]');
    await page.waitForURL(/groupBy=day/);
    await page.waitForSelector('#dashboard[aria-busy="false"]');

    expect(await page.locator('#chart-orders .mark').count()).toBe(31);
    expect(page.url()).toContain('timeZone=UTC');
  });

  it('shows the API error for an invalid range', async () => {
    await open('from=2018-01-01&to=2017-01-01&currency=BRL');
    expect(await page.getAttribute('#dashboard', 'data-loaded')).toBe('error');
    const status = await page.textContent('#status');
    expect(status).toContain('No se pudieron cargar las estadísticas');
    expect(status).not.toContain('HTTP');
  });
});
