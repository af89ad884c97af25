import { isValidTimeZone, localTimestampToIso, parseLocalTimestamp } from '../../src/import/olist/time-zone';

describe('localTimestampToIso', () => {
  it('reads standard time in Sao Paulo as UTC-3', () => {
    expect(localTimestampToIso('2018-06-01 10:00:00', 'America/Sao_Paulo')).toBe('2018-06-01T13:00:00.000Z');
  });

  it('reads summer time in Sao Paulo as UTC-2', () => {
    expect(localTimestampToIso('2018-01-15 10:00:00', 'America/Sao_Paulo')).toBe('2018-01-15T12:00:00.000Z');
  });

  it('moves a time in the spring-forward gap ahead', () => {
    // On 2017-10-15 Sao Paulo clocks jumped from 00:00 to 01:00, so 00:30 did not exist.
    expect(localTimestampToIso('2017-10-15 00:30:00', 'America/Sao_Paulo')).toBe('2017-10-15T03:30:00.000Z');
  });

  it('takes the earlier instant of a repeated hour', () => {
    // On 2018-02-18 at 00:00 Sao Paulo clocks went back to 23:00, so 23:33 of the 17th happened twice.
    expect(localTimestampToIso('2018-02-17 23:33:56', 'America/Sao_Paulo')).toBe('2018-02-18T01:33:56.000Z');
  });

  it('reads times in UTC unchanged', () => {
    expect(localTimestampToIso('2017-03-04 05:06:07', 'UTC')).toBe('2017-03-04T05:06:07.000Z');
  });

  it('handles a zone east of Greenwich with its own DST', () => {
    expect(localTimestampToIso('2018-03-25 02:30:00', 'Europe/Madrid')).toBe('2018-03-25T01:30:00.000Z');
    expect(localTimestampToIso('2018-10-28 02:30:00', 'Europe/Madrid')).toBe('2018-10-28T00:30:00.000Z');
  });

  it('rejects empty and malformed timestamps', () => {
    expect(localTimestampToIso('', 'UTC')).toBeUndefined();
    expect(localTimestampToIso('2017-02-30 10:00:00', 'UTC')).toBeUndefined();
    expect(localTimestampToIso('yesterday', 'UTC')).toBeUndefined();
    expect(parseLocalTimestamp('2017-01-01 24:00:00')).toBeUndefined();
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA names and rejects others', () => {
    expect(isValidTimeZone('America/Sao_Paulo')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
