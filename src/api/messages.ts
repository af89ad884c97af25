/**
 * Texts for people: the title and detail of every error code the API can
 * return, and the message of every kind of invalid field, in Spanish (the
 * default) and English. Codes are stable identifiers; these texts may change.
 */
import { domainMessages } from './domain-messages';

export type Language = 'es' | 'en';
export type MessageParams = Record<string, string | number | boolean | null>;

interface Text {
  title: string;
  detail: (params: MessageParams) => string;
}

type Catalog = Record<string, Record<Language, Text>>;

const text = (title: string, detail: string | ((params: MessageParams) => string)): Text => ({
  title,
  detail: typeof detail === 'string' ? () => detail : detail,
});

const show = (value: unknown): string => (value === null || value === undefined || value === '' ? '?' : String(value));

/** Texts of the errors raised by the HTTP layer and the application layer. */
const applicationErrors: Catalog = {
  VALIDATION_FAILED: {
    es: text('Solicitud no válida', (p) => `La solicitud tiene ${show(p.count)} campo(s) no válido(s); revise "errors".`),
    en: text('Invalid request', (p) => `The request has ${show(p.count)} invalid field(s); see "errors".`),
  },
  MALFORMED_JSON: {
    es: text('JSON mal formado', 'El cuerpo de la solicitud no es JSON válido.'),
    en: text('Malformed JSON', 'The request body is not valid JSON.'),
  },
  PAYLOAD_TOO_LARGE: {
    es: text('Cuerpo demasiado grande', (p) => `El cuerpo de la solicitud supera el límite de ${show(p.limit)} bytes.`),
    en: text('Body too large', (p) => `The request body exceeds the limit of ${show(p.limit)} bytes.`),
  },
  UNSUPPORTED_MEDIA_TYPE: {
    es: text('Tipo de contenido no admitido', (p) =>
      p.contentType ? `El cuerpo debe ser application/json; se recibió ${show(p.contentType)}.` : 'El cuerpo debe ser application/json; la solicitud no indica Content-Type.',
    ),
    en: text('Unsupported content type', (p) =>
      p.contentType ? `The body must be application/json; received ${show(p.contentType)}.` : 'The body must be application/json; the request has no Content-Type.',
    ),
  },
  ROUTE_NOT_FOUND: {
    es: text('Recurso no encontrado', (p) => `No existe la ruta ${show(p.method)} ${show(p.path)}.`),
    en: text('Resource not found', (p) => `There is no route ${show(p.method)} ${show(p.path)}.`),
  },
  ORDER_NOT_FOUND: {
    es: text('Pedido no encontrado', (p) => `No existe el pedido ${show(p.orderId)}.`),
    en: text('Order not found', (p) => `Order ${show(p.orderId)} does not exist.`),
  },
  REVISION_NOT_FOUND: {
    es: text('Revisión no encontrada', (p) => `El pedido ${show(p.orderId)} no tiene la revisión ${show(p.revision)}; la última es ${show(p.lastRevision)}.`),
    en: text('Revision not found', (p) => `Order ${show(p.orderId)} has no revision ${show(p.revision)}; the last one is ${show(p.lastRevision)}.`),
  },
  ORDER_NOT_YET_CREATED: {
    es: text('Pedido inexistente en esa fecha', (p) => `El pedido ${show(p.orderId)} aún no existía en ${show(p.at)}.`),
    en: text('Order did not exist yet', (p) => `Order ${show(p.orderId)} did not exist yet at ${show(p.at)}.`),
  },
  REVISION_MISMATCH: {
    es: text('La revisión no coincide', (p) => `If-Match pide la revisión ${show(p.expected)}, pero el pedido está en la revisión ${show(p.actual)}. Vuelva a leer el pedido y repita la orden.`),
    en: text('Revision mismatch', (p) => `If-Match requires revision ${show(p.expected)}, but the order is at revision ${show(p.actual)}. Read the order again and repeat the command.`),
  },
  INVALID_IF_MATCH: {
    es: text('Cabecera If-Match no válida', 'If-Match debe ser una revisión entre comillas, por ejemplo "3".'),
    en: text('Invalid If-Match header', 'If-Match must be a quoted revision, for example "3".'),
  },
  CONCURRENCY_CONFLICT: {
    es: text('Conflicto de concurrencia', (p) => `El pedido ${show(p.orderId)} cambió ${show(p.attempts)} veces mientras se procesaba la orden; vuelva a intentarlo.`),
    en: text('Concurrency conflict', (p) => `Order ${show(p.orderId)} changed ${show(p.attempts)} times while the command was processed; try again.`),
  },
  PRICE_CHANGED: {
    es: text('El precio ha cambiado', (p) => `El precio de ${show(p.productId)} es ahora ${show(p.currentAmount)} ${show(p.currentCurrency)}, no ${show(p.sentAmount)} ${show(p.sentCurrency)}.`),
    en: text('Price changed', (p) => `The price of ${show(p.productId)} is now ${show(p.currentAmount)} ${show(p.currentCurrency)}, not ${show(p.sentAmount)} ${show(p.sentCurrency)}.`),
  },
  PRODUCT_UNAVAILABLE: {
    es: text('Producto no disponible', (p) => `El producto ${show(p.productId)} no está disponible: ${productReasonEs(p)}.`),
    en: text('Product unavailable', (p) => `Product ${show(p.productId)} is not available: ${productReasonEn(p)}.`),
  },
  CUSTOMER_INVALID: {
    es: text('Cliente no válido', (p) => `El cliente ${show(p.customerId)} ${p.reason === 'inactive' ? 'está inactivo' : 'no existe'}.`),
    en: text('Invalid customer', (p) => `Customer ${show(p.customerId)} ${p.reason === 'inactive' ? 'is inactive' : 'does not exist'}.`),
  },
  DISCOUNT_INVALID: {
    es: text('Código de descuento no válido', (p) => `El código ${show(p.code)} no se puede aplicar: ${discountReasonEs(p)}.`),
    en: text('Invalid discount code', (p) => `Code ${show(p.code)} cannot be applied: ${discountReasonEn(p)}.`),
  },
  PAYMENT_REJECTED: {
    es: text('Pago rechazado', (p) => `El servicio de pagos rechazó el pago ${show(p.paymentId)}: ${show(p.reason)}.`),
    en: text('Payment rejected', (p) => `The payment service rejected payment ${show(p.paymentId)}: ${show(p.reason)}.`),
  },
  STOCK_UNAVAILABLE: {
    es: text('Sin existencias', (p) => `No se pudo reservar el inventario del pedido ${show(p.orderId)}: ${show(p.reason)}.`),
    en: text('Out of stock', (p) => `The stock for order ${show(p.orderId)} could not be reserved: ${show(p.reason)}.`),
  },
  SERVICE_UNAVAILABLE: {
    es: text('Servicio no disponible', (p) => `${show(p.service)} no responde; vuelva a intentarlo en ${show(p.retryAfterSeconds)} segundos.`),
    en: text('Service unavailable', (p) => `${show(p.service)} is not responding; try again in ${show(p.retryAfterSeconds)} seconds.`),
  },
  EXTERNAL_REQUEST_REJECTED: {
    es: text('Petición rechazada por otro servicio', (p) => `${show(p.service)} rechazó la petición con el estado ${show(p.status)}.`),
    en: text('Request rejected by another service', (p) => `${show(p.service)} rejected the request with status ${show(p.status)}.`),
  },
  EVENT_STORE_UNAVAILABLE: {
    es: text('Almacén de eventos no disponible', 'El almacén de eventos no responde; vuelva a intentarlo en unos segundos.'),
    en: text('Event store unavailable', 'The event store is not responding; try again in a few seconds.'),
  },
  EVENT_TOO_LARGE: {
    es: text('Evento demasiado grande', 'La orden produciría un evento mayor que el máximo permitido.'),
    en: text('Event too large', 'The command would produce an event larger than the maximum allowed.'),
  },
  IDEMPOTENCY_KEY_INVALID: {
    es: text('Idempotency-Key no válida', 'Idempotency-Key debe tener de 1 a 255 caracteres ASCII visibles.'),
    en: text('Invalid Idempotency-Key', 'Idempotency-Key must have 1 to 255 visible ASCII characters.'),
  },
  IDEMPOTENCY_KEY_REUSED: {
    es: text('Idempotency-Key reutilizada', 'Esta Idempotency-Key ya se usó con otro método, ruta o cuerpo; use una clave nueva para otra solicitud.'),
    en: text('Idempotency-Key reused', 'This Idempotency-Key was already used with another method, path or body; use a new key for another request.'),
  },
  IDEMPOTENCY_KEY_IN_PROGRESS: {
    es: text('Solicitud en curso', 'Otra solicitud con esta Idempotency-Key sigue en curso; repítala en unos segundos.'),
    en: text('Request in progress', 'Another request with this Idempotency-Key is still running; repeat it in a few seconds.'),
  },
  INTERNAL_ERROR: {
    es: text('Error interno', 'Se produjo un error inesperado; vuelva a intentarlo y, si persiste, indique el X-Request-Id.'),
    en: text('Internal error', 'An unexpected error occurred; try again and, if it persists, report the X-Request-Id.'),
  },
};

function productReasonEs(p: MessageParams): string {
  if (p.reason === 'unknown') return 'no existe en el catálogo';
  if (p.reason === 'currency') return `no se vende en ${show(p.currency)}`;
  return `quedan ${show(p.available)} unidades y se piden ${show(p.requested)}`;
}

function productReasonEn(p: MessageParams): string {
  if (p.reason === 'unknown') return 'it is not in the catalog';
  if (p.reason === 'currency') return `it is not sold in ${show(p.currency)}`;
  return `${show(p.available)} units left and ${show(p.requested)} requested`;
}

const discountReasonsEs: Record<string, string> = {
  unknown: 'no existe',
  malformed: 'no tiene un formato válido',
  not_yet_valid: 'aún no es válido',
  expired: 'ha caducado',
  min_subtotal: 'el subtotal no llega al mínimo',
  exhausted: 'se agotaron sus usos',
  already_applied: 'el pedido ya tiene un descuento',
  currency: 'su importe está en otra moneda',
};

const discountReasonsEn: Record<string, string> = {
  unknown: 'it does not exist',
  malformed: 'it is malformed',
  not_yet_valid: 'it is not valid yet',
  expired: 'it has expired',
  min_subtotal: 'the subtotal is below the minimum',
  exhausted: 'it has no redemptions left',
  already_applied: 'the order already has a discount',
  currency: 'its amount is in another currency',
};

function discountReasonEs(p: MessageParams): string {
  return discountReasonsEs[String(p.reason)] ?? show(p.reason);
}

function discountReasonEn(p: MessageParams): string {
  return discountReasonsEn[String(p.reason)] ?? show(p.reason);
}

const catalogs: Catalog[] = [domainMessages, applicationErrors];

/** Adds the texts of another layer's codes (the domain's). */
export function registerMessages(catalog: Catalog): void {
  catalogs.push(catalog);
}

export function hasMessage(code: string): boolean {
  return catalogs.some((catalog) => code in catalog);
}

/** Returns the title and detail of `code` in `language`; an unknown code gets a generic text that names it. */
export function errorText(code: string, params: MessageParams, language: Language): { title: string; detail: string } {
  for (let i = catalogs.length - 1; i >= 0; i -= 1) {
    const entry = catalogs[i][code]?.[language];
    if (entry) return { title: entry.title, detail: entry.detail(params) };
  }
  return language === 'es'
    ? { title: 'Solicitud rechazada', detail: `La solicitud no se pudo completar (${code}).` }
    : { title: 'Request rejected', detail: `The request could not be completed (${code}).` };
}

/** Returns the message for one invalid field, from the validator's issue kind and parameters. */
export function fieldMessage(issue: string, params: MessageParams, language: Language): string {
  const es = language === 'es';
  switch (issue) {
    case 'invalid_type':
      if (params.received === 'undefined') return es ? 'Campo obligatorio.' : 'Required field.';
      return es ? `Tipo no válido: se esperaba ${typeName(params.expected, 'es')}.` : `Invalid type: expected ${typeName(params.expected, 'en')}.`;
    case 'too_small':
      return params.origin === 'string' || params.origin === 'array'
        ? es ? `Debe tener al menos ${show(params.minimum)} elemento(s) o carácter(es).` : `Must have at least ${show(params.minimum)} item(s) or character(s).`
        : es ? `Debe ser como mínimo ${show(params.minimum)}.` : `Must be at least ${show(params.minimum)}.`;
    case 'too_big':
      return params.origin === 'string' || params.origin === 'array'
        ? es ? `Debe tener como máximo ${show(params.maximum)} elemento(s) o carácter(es).` : `Must have at most ${show(params.maximum)} item(s) or character(s).`
        : es ? `Debe ser como máximo ${show(params.maximum)}.` : `Must be at most ${show(params.maximum)}.`;
    case 'unrecognized_keys':
      return es ? `Campos no admitidos: ${show(params.keys)}.` : `Unknown fields: ${show(params.keys)}.`;
    case 'invalid_value':
      return es ? `Valor no admitido; valores posibles: ${show(params.values)}.` : `Value not allowed; allowed values: ${show(params.values)}.`;
    case 'invalid_union':
      return es ? 'El valor no tiene ninguna de las formas admitidas.' : 'The value matches none of the allowed shapes.';
    case 'not_multiple_of':
      return es ? 'Debe ser un número entero.' : 'Must be a whole number.';
    case 'invalid_format':
    case 'custom':
      return customMessage(String(params.message ?? params.format ?? ''), language);
    default:
      return es ? 'Valor no válido.' : 'Invalid value.';
  }
}

const typeNames: Record<string, [string, string]> = {
  object: ['un objeto', 'an object'],
  string: ['un texto', 'a string'],
  number: ['un número', 'a number'],
  int: ['un número entero', 'an integer'],
  boolean: ['true o false', 'true or false'],
  array: ['una lista', 'an array'],
};

function typeName(expected: unknown, language: Language): string {
  const names = typeNames[String(expected)];
  if (!names) return show(expected);
  return language === 'es' ? names[0] : names[1];
}

/** Messages of the schemas' own checks, keyed by the stable message each check raises. */
const customMessages: Record<string, [string, string]> = {
  uuid: ['Debe ser un UUID.', 'Must be a UUID.'],
  amount_format: ['Importe no válido: use un decimal no negativo como "34.90".', 'Invalid amount: use a non-negative decimal such as "34.90".'],
  amount_decimals: ['El importe tiene más decimales de los que admite la moneda.', 'The amount has more decimals than the currency allows.'],
  currency_unknown: ['Moneda desconocida: use un código ISO 4217 como EUR.', 'Unknown currency: use an ISO 4217 code such as EUR.'],
  currency_code: ['Moneda no válida: use un código ISO 4217 de tres letras mayúsculas como EUR.', 'Invalid currency: use a three-letter upper-case ISO 4217 code such as EUR.'],
  iso_datetime: ['Fecha no válida: use ISO 8601, por ejemplo 2024-05-01T10:00:00Z.', 'Invalid date: use ISO 8601, for example 2024-05-01T10:00:00Z.'],
  revision: ['Debe ser un número entero no negativo.', 'Must be a non-negative integer.'],
  exclusive_query: ['Use revision o at, no ambos.', 'Use revision or at, not both.'],
  blank: ['No puede estar vacío.', 'Must not be empty.'],
  country: ['País no válido: use un código ISO 3166-1 de dos letras como ES.', 'Invalid country: use a two-letter ISO 3166-1 code such as ES.'],
};

function customMessage(key: string, language: Language): string {
  const entry = customMessages[key];
  if (entry) return language === 'es' ? entry[0] : entry[1];
  if (key === 'regex' || key === '') return language === 'es' ? 'Formato no válido.' : 'Invalid format.';
  return language === 'es' ? `Formato no válido (${key}).` : `Invalid format (${key}).`;
}

/** Picks Spanish unless the Accept-Language header prefers English over Spanish. */
export function negotiateLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'es';
  let best: { language: Language; quality: number } | undefined;
  for (const part of acceptLanguage.split(',')) {
    const [tag, ...attributes] = part.trim().toLowerCase().split(';');
    const qualityText = attributes.map((a) => a.trim()).find((a) => a.startsWith('q='));
    const quality = qualityText ? Number(qualityText.slice(2)) : 1;
    if (!Number.isFinite(quality) || quality <= 0) continue;
    const primary = tag.split('-')[0];
    if (primary !== 'es' && primary !== 'en') continue;
    if (!best || quality > best.quality) best = { language: primary, quality };
  }
  return best?.language ?? 'es';
}
