import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { HealthCheck, HealthStatus } from '../../infrastructure/health';
import { componentLogger, errorFields } from '../../infrastructure/logger';

const log = componentLogger('health');

/** How long one readiness check may take before it counts as down. */
const CHECK_TIMEOUT_MS = 2_000;

/** `/health/live` (the process answers), `/health/ready` (one entry per dependency) and `/metrics`. */
export function healthRouter(checks: readonly HealthCheck[], registry: Registry): Router {
  const router = Router();

  router.get('/health/live', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'up' });
  });

  router.get('/health/ready', async (_req, res) => {
    const results = await Promise.all(checks.map(async (check) => [check, await runCheck(check)] as const));
    const requiredDown = results.some(([check, status]) => check.required && status.status === 'down');
    const body = {
      status: requiredDown ? 'down' : 'up',
      checks: Object.fromEntries(results.map(([check, status]) => [check.name, { ...status, required: check.required }])),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.status(requiredDown ? 503 : 200).json(body);
  });

  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });

  return router;
}

async function runCheck(check: HealthCheck): Promise<HealthStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthStatus>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.check(), timeout]);
  } catch (error) {
    log.warn('health check failed', { check: check.name, ...errorFields(error) });
    return { status: 'down', detail: 'check failed' };
  } finally {
    clearTimeout(timer);
  }
}
