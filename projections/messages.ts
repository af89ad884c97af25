import { registerMessages, type MessageParams } from '../src/api/messages';

/** Spanish and English texts of the error codes that the query routes raise. */
const show = (value: unknown): string => (value === null || value === undefined || value === '' ? '?' : String(value));

const entry = (esTitle: string, es: (p: MessageParams) => string, enTitle: string, en: (p: MessageParams) => string) => ({
  es: { title: esTitle, detail: es },
  en: { title: enTitle, detail: en },
});

export const queryMessages = {
  CURSOR_INVALID: entry(
    'Cursor no válido',
    () => 'Cursor no válido. Use el valor de nextCursor de la página anterior sin modificarlo.',
    'Invalid cursor',
    () => 'Invalid cursor. Send the nextCursor of the previous page unchanged.',
  ),
  EVENT_POSITION_INVALID: entry(
    'Posición de evento no válida',
    (p) => `La posición ${show(p.position)} no es válida. X-Min-Event-Position debe ser el valor de X-Event-Position de una respuesta anterior.`,
    'Invalid event position',
    (p) => `Position ${show(p.position)} is invalid. X-Min-Event-Position must be the X-Event-Position of an earlier response.`,
  ),
  READ_MODEL_NOT_READY: entry(
    'Datos aún no actualizados',
    (p) => `Los datos aún no incluyen su último cambio (posición ${show(p.position)}). Vuelva a intentarlo en unos segundos.`,
    'Data not updated yet',
    (p) => `The data does not include your latest change yet (position ${show(p.position)}). Try again in a few seconds.`,
  ),
  TIME_ZONE_INVALID: entry(
    'Zona horaria no válida',
    (p) => `Zona horaria no válida: ${show(p.timeZone)}. Use un nombre IANA como Europe/Madrid o America/Sao_Paulo.`,
    'Invalid time zone',
    (p) => `Invalid time zone ${show(p.timeZone)}. Use an IANA name such as Europe/Madrid or America/Sao_Paulo.`,
  ),
  STATS_RANGE_INVALID: entry(
    'Rango no válido',
    (p) => `Rango no válido: from (${show(p.from)}) debe ser anterior a to (${show(p.to)}).`,
    'Invalid range',
    (p) => `Invalid range: from (${show(p.from)}) must be before to (${show(p.to)}).`,
  ),
  STATS_RANGE_TOO_LARGE: entry(
    'Rango demasiado grande',
    (p) => `El rango abarca ${show(p.periods)} periodos de tipo ${show(p.groupBy)}; el máximo es ${show(p.maximum)}. Acorte el rango o agrupe por un periodo mayor.`,
    'Range too large',
    (p) => `The range spans ${show(p.periods)} periods of ${show(p.groupBy)}; the maximum is ${show(p.maximum)}. Shorten the range or group by a longer period.`,
  ),
};

registerMessages(queryMessages);
