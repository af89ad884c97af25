/**
 * `npm run bench -- http`: add-item commands over HTTP against the real
 * PostgreSQL (`http.commands`). The service and the floor (an express route
 * that only parses and echoes the same JSON) are compiled first (`npm run
 * build`) and run from dist/ as `npm start` runs them, each in a process of
 * its own. Autocannon drives them from this process with the
 * same connections and bodies. Floor and service phases alternate for
 * BENCH_ROUNDS rounds so that a change in machine load hits both alike.
 * The service's peak RSS is its VmHWM from /proc (Linux).
 *
 * Environment: BENCH_DATABASE_URL (server to use, default the local one),
 * BENCH_SECONDS (measured seconds per phase, default 10), BENCH_ROUNDS
 * (default 2), BENCH_CONNECTIONS (default 32), BENCH_ORDERS (orders the
 * commands spread over, default 320), BENCH_CPU_PROFILE_DIR (write a V8 CPU
 * profile of the service there).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import { createBenchDatabase, round1 } from './support';

const ROOT = path.resolve(__dirname, '../..');
const WARMUP_SECONDS = 3;
const PRODUCTS = ['SKU-1001', 'SKU-1002', 'SKU-1003', 'SKU-1005', 'SKU-1006', 'SKU-1007', 'SKU-1008', 'SKU-1010'];

interface Phase {
  requests: number;
  seconds: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const orderCount = Number(process.env.BENCH_ORDERS ?? 320);

  const database = await createBenchDatabase('ordersvc_bench_http');

  const children: ChildProcess[] = [];
  try {
    // 1. The service and the floor, compiled, each in its own process.
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    const servicePort = await freePort();
    const service = startProcess('dist/src/main.js', {
      DATABASE_URL: database.url,
      PORT: String(servicePort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MAX_LINE_QUANTITY: '1000000',
    }, process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : []);
    children.push(service);
    const floorPort = await freePort();
    children.push(startProcess('dist/scripts/bench/http-echo-server.js', { PORT: String(floorPort) }));
    const serviceUrl = `http://127.0.0.1:${servicePort}`;
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    await waitUntilLive(serviceUrl);
    await waitUntilLive(floorUrl);

    // 2. Orders for the commands to spread over.
    const orderIds = await createOrders(serviceUrl, orderCount);

    // 3. Warm-up, then alternating measured phases.
    await phase(floorUrl, orderIds, connections, WARMUP_SECONDS);
    await phase(serviceUrl, orderIds, connections, WARMUP_SECONDS);
    const floorPhases: Phase[] = [];
    const servicePhases: Phase[] = [];
    for (let round = 0; round < rounds; round += 1) {
      floorPhases.push(await phase(floorUrl, orderIds, connections, seconds));
      servicePhases.push(await phase(serviceUrl, orderIds, connections, seconds));
    }

    const value = perSecond(servicePhases);
    const floor = perSecond(floorPhases);
    console.log(
      JSON.stringify({
        bench: 'http.commands',
        value: round1(value),
        unit: 'req/s',
        floor: round1(floor),
        ratio: Math.round((value / floor) * 1000) / 1000,
        p99Ms: Math.max(...servicePhases.map((p) => p.p99Ms)),
        floorP99Ms: Math.max(...floorPhases.map((p) => p.p99Ms)),
        peakRssMb: peakRssMb(service.pid),
        non2xx: servicePhases.reduce((sum, p) => sum + p.non2xx, 0),
        errors: servicePhases.reduce((sum, p) => sum + p.errors, 0),
        connections,
        orders: orderCount,
        seconds: seconds * rounds,
      }),
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    await database.drop();
  }
}

function startProcess(script: string, env: Record<string, string>, nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function createOrders(baseUrl: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${baseUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: `C-BENCH-${i % 50}` }),
    });
    if (response.status !== 201) throw new Error(`Creating a benchmark order failed with status ${response.status}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

/** Runs autocannon once with add-item commands spread over the orders; the floor gets the same paths and bodies. */
async function phase(baseUrl: string, orderIds: string[], connections: number, seconds: number): Promise<Phase> {
  let next = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = next;
          next += 1;
          return {
            ...request,
            path: `/api/orders/${orderIds[n % orderIds.length]}/items`,
            body: JSON.stringify({ productId: PRODUCTS[Math.floor(n / orderIds.length) % PRODUCTS.length], quantity: 1 }),
          };
        },
      },
    ],
  });
  return { requests: result['2xx'], seconds: result.duration, p99Ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

function perSecond(phases: Phase[]): number {
  return phases.reduce((sum, p) => sum + p.requests, 0) / phases.reduce((sum, p) => sum + p.seconds, 0);
}

function peakRssMb(pid: number | undefined): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

async function waitUntilLive(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${baseUrl} did not start within 120 s`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}


