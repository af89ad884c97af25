import { ConfigError, loadConfig, parseDuration } from '../../src/infrastructure/config';

describe('configuration', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATA_DIR).toBe('./data');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.PAYMENT_TIMEOUT).toBe(30 * 60_000);
    expect(config.ROLES).toEqual(['api', 'projections', 'relay', 'inbox', 'saga']);
  });

  it('names the variable, value and expectation when invalid', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty' });
    } catch (error) {
      expect((error as ConfigError).variable).toBe('PORT');
      expect((error as Error).message).toContain('PORT="eighty"');
      expect((error as Error).message).toContain('an integer from 0 to 65535');
    }
  });

  it('rejects a database URL with the wrong scheme', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://localhost/x' })).toThrow(/DATABASE_URL="mysql:\/\/localhost\/x".*postgres:\/\//);
  });

  it('rejects an unknown log level with the allowed values', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL="loud".*one of error, warn, info/);
  });

  it('parses durations in every unit', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('configuration values checked at start', () => {
  it('rejects an unknown default currency', () => {
    expect(() => loadConfig({ DEFAULT_CURRENCY: 'XYZ' })).toThrow(/DEFAULT_CURRENCY="XYZ"/);
  });

  it('rejects a shipping rate with more decimals than the currency', () => {
    expect(() => loadConfig({ SHIPPING_FLAT_RATE: '4.901' })).toThrow(/SHIPPING_FLAT_RATE="4.901".*at most 2 decimals/);
    expect(() => loadConfig({ SHIPPING_FLAT_RATE: '5.5', DEFAULT_CURRENCY: 'JPY' })).toThrow(/at most 0 decimals, as JPY/);
  });

  it('accepts a shipping rate that fits the currency', () => {
    expect(loadConfig({ SHIPPING_FLAT_RATE: '4.500', DEFAULT_CURRENCY: 'KWD' }).SHIPPING_FLAT_RATE).toBe('4.500');
  });

  it('rejects a body limit that is not a size', () => {
    expect(() => loadConfig({ BODY_LIMIT: 'huge' })).toThrow(/BODY_LIMIT="huge".*100kb/);
  });
});
