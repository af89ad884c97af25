import { createQueryRouter } from '../../../projections';
import { errorText } from '../../../src/api/messages';

const codes = ['CURSOR_INVALID', 'EVENT_POSITION_INVALID', 'READ_MODEL_NOT_READY', 'TIME_ZONE_INVALID', 'STATS_RANGE_INVALID', 'STATS_RANGE_TOO_LARGE'];

describe('query error texts', () => {
  it('loads with the query router', () => {
    expect(typeof createQueryRouter).toBe('function');
  });

  it.each(codes)('has Spanish and English texts for %s', (code) => {
    const spanish = errorText(code, { timeZone: 'Mars/Base', position: 'x' }, 'es');
    const english = errorText(code, { timeZone: 'Mars/Base', position: 'x' }, 'en');
    expect(spanish.title).not.toBe('Solicitud rechazada');
    expect(english.title).not.toBe('Request rejected');
    expect(spanish.detail).not.toBe(english.detail);
  });

  it('names the rejected time zone', () => {
    expect(errorText('TIME_ZONE_INVALID', { timeZone: 'Mars/Base' }, 'en').detail).toContain('Mars/Base');
  });
});
