import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/infrastructure/config';

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
  ports?: string[];
}

const compose = parse(fs.readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const serviceNames = ['ordersvc', 'ordersvc-esdb'];
const knownVariables = new Set(Object.keys(configSchema.shape));

describe('docker-compose.yml', () => {
  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:\d[\w.-]*$/) });
    }
  });

  it('runs PostgreSQL, RabbitMQ, Redis, EventStoreDB and the service', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'rabbitmq', 'redis', 'eventstoredb', 'ordersvc', 'ordersvc-esdb']),
    );
  });

  it.each(serviceNames)('gives %s an environment the configuration accepts', (name) => {
    const environment = compose.services[name].environment ?? {};
    for (const variable of Object.keys(environment)) expect(knownVariables).toContain(variable);
    expect(() => loadConfig(environment)).not.toThrow();
  });

  it.each(serviceNames)('points %s only at services it depends on', (name) => {
    const service = compose.services[name];
    const config = loadConfig(service.environment ?? {});
    const urls = [config.DATABASE_URL, config.RABBITMQ_URL, config.REDIS_URL, config.EVENTSTORE_URL].filter(
      (url): url is string => url !== undefined,
    );
    for (const url of urls) {
      const host = new URL(url).hostname;
      expect(Object.keys(compose.services)).toContain(host);
      expect(Object.keys(service.depends_on ?? {})).toContain(host);
    }
  });

  it('publishes the service on the port it listens on', () => {
    const service = compose.services.ordersvc;
    const port = loadConfig(service.environment ?? {}).PORT;
    expect(service.ports).toContain(`${port}:${port}`);
  });
});
