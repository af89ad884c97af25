import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';

export interface DashboardOptions {
  /** Path of the statistics endpoint the page reads (default `/api/orders/stats`). */
  statsPath?: string;
  /** Currency shown first (the service's DEFAULT_CURRENCY). */
  defaultCurrency: string;
  /** Time zone selected first (default `UTC`). */
  defaultTimeZone?: string;
}

// The page loads only its own script and styles and talks only to this origin.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Reads a file of src/dashboard/assets. Under ts-node the file sits next to
 * this module. The compiled build (dist/src/dashboard) lacks it because tsc
 * does not copy it, so there the source tree's copy is used.
 */
function readAsset(name: string): string {
  const candidates = [path.join(__dirname, 'assets', name), path.resolve(__dirname, '../../../src/dashboard/assets', name)];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`Dashboard asset ${name} not found in ${candidates.join(' or ')}`);
  return fs.readFileSync(found, 'utf8');
}

function escapeAttribute(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function renderPage(options: Required<DashboardOptions>): string {
  return `<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Panel de pedidos</title>
<link rel="stylesheet" href="/dashboard/dashboard.css">
</head>
<body>
<main id="dashboard" data-stats-path="${escapeAttribute(options.statsPath)}" data-default-currency="${escapeAttribute(options.defaultCurrency)}" data-default-time-zone="${escapeAttribute(options.defaultTimeZone)}" aria-busy="true">
  <header>
    <h1 data-text="title">Panel de pedidos</h1>
    <div class="lang" role="group" aria-label="Idioma / Language">
      <button type="button" data-lang="es" aria-pressed="true">ES</button>
      <button type="button" data-lang="en" aria-pressed="false">EN</button>
    </div>
  </header>
  <form id="filters">
    <label><span data-text="from">Desde</span> <input type="date" name="from" required></label>
    <label><span data-text="to">Hasta (excluido)</span> <input type="date" name="to" required></label>
    <label><span data-text="groupBy">Agrupar por</span>
      <select name="groupBy"><option value="day">día</option><option value="week">semana</option><option value="month">mes</option></select>
    </label>
    <label><span data-text="timeZone">Zona horaria</span> <select name="timeZone"></select></label>
    <label><span data-text="currency">Moneda</span> <input name="currency" size="4" maxlength="3" pattern="[A-Za-z]{3}" required></label>
    <button type="submit" data-text="update">Actualizar</button>
  </form>
  <p id="status" role="status"></p>
  <section class="cards">
    <div class="card"><h2 data-text="orders">Pedidos</h2><p id="orders">—</p></div>
    <div class="card"><h2 data-text="grossSales">Ventas brutas</h2><p id="grossSales">—</p></div>
    <div class="card"><h2 data-text="averageOrderValue">Valor medio del pedido</h2><p id="averageOrderValue">—</p></div>
    <div class="card"><h2 data-text="cancellationRate">Tasa de cancelación</h2><p id="cancellationRate">—</p></div>
  </section>
  <section class="chart"><h2 data-text="salesPerPeriod">Ventas brutas por periodo</h2><svg id="chart-sales" role="img"></svg></section>
  <section class="chart"><h2 data-text="ordersPerPeriod">Pedidos por periodo</h2><svg id="chart-orders" role="img"></svg></section>
  <div class="columns">
    <section class="chart"><h2 data-text="ordersByStatus">Pedidos por estado</h2><svg id="chart-status" role="img"></svg></section>
    <section class="chart"><h2 data-text="paymentsByMethod">Pagos confirmados por método</h2><svg id="chart-payments" role="img"></svg></section>
  </div>
  <section class="chart"><h2 data-text="stageDurations">Duración de las etapas</h2><svg id="chart-stages" role="img"></svg>
    <table id="stage-table">
      <thead><tr><th data-text="stage">Etapa</th><th data-text="count">Pedidos</th><th data-text="invalid">No válidos</th><th>p50</th><th>p90</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
<script src="/dashboard/dashboard.js"></script>
</body>
</html>
`;
}

function send(res: Response, type: string, body: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('Cache-Control', 'no-cache');
  res.send(body);
}

/**
 * Serves the `/dashboard` page for people who would rather look than read: sales
 * and orders per period, orders by status, payments and stage durations from
 * GET /api/orders/stats, drawn as inline SVG by a small script of its own (no
 * CDN). Spanish by default, English with the page's switch or `?lang=en`.
 */
export function dashboardRouter(options: DashboardOptions): Router {
  const settings: Required<DashboardOptions> = {
    statsPath: options.statsPath ?? '/api/orders/stats',
    defaultCurrency: options.defaultCurrency,
    defaultTimeZone: options.defaultTimeZone ?? 'UTC',
  };
  const page = renderPage(settings);
  const script = readAsset('dashboard.js');
  const styles = readAsset('dashboard.css');

  const router = Router();
  router.get('/dashboard', (_req, res) => send(res, 'text/html; charset=utf-8', page));
  router.get('/dashboard/dashboard.js', (_req, res) => send(res, 'text/javascript; charset=utf-8', script));
  router.get('/dashboard/dashboard.css', (_req, res) => send(res, 'text/css; charset=utf-8', styles));
  return router;
}
