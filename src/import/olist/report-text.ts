import type { AnomalyReason } from './anomalies';
import type { Lang } from './cli-args';
import type { ImportReport } from './importer';

/** Descriptions of the anomaly reasons, for people reading the import report. */
export const anomalyLabels: Record<Lang, Record<AnomalyReason, string>> = {
  es: {
    unknown_status: 'estado desconocido (importado como pendiente)',
    invalid_timestamp: 'fecha u hora no válida (tratada como ausente)',
    invalid_amount: 'importe no válido (contado como 0)',
    missing_purchase_time: 'sin fecha de compra',
    missing_approval_time: 'aprobado sin fecha de aprobación',
    shipped_without_carrier_date: 'enviado sin fecha de entrega al transportista',
    delivered_without_delivery_date: 'entregado sin fecha de entrega',
    delivered_without_payment: 'entregado sin pago recibido',
    cancelled_after_shipping: 'cancelado después del envío',
    cancelled_after_delivery: 'cancelado después de la entrega',
    timestamps_out_of_order: 'fechas en un orden imposible',
    status_behind_dates: 'fechas posteriores al estado (no reproducidas)',
    no_items: 'sin artículos',
    no_payments: 'sin pagos',
    zero_value_payment: 'pago de 0,00',
    payment_sequence_gap: 'huecos en la numeración de pagos',
    payments_differ_from_total: 'los pagos no suman el total',
  },
  en: {
    unknown_status: 'unknown status (imported as pending)',
    invalid_timestamp: 'invalid timestamp (treated as missing)',
    invalid_amount: 'invalid amount (counted as 0)',
    missing_purchase_time: 'no purchase time',
    missing_approval_time: 'approved without approval time',
    shipped_without_carrier_date: 'shipped without carrier date',
    delivered_without_delivery_date: 'delivered without delivery date',
    delivered_without_payment: 'delivered without payment received',
    cancelled_after_shipping: 'cancelled after shipping',
    cancelled_after_delivery: 'cancelled after delivery',
    timestamps_out_of_order: 'timestamps in an impossible order',
    status_behind_dates: 'dates beyond the status (not replayed)',
    no_items: 'no items',
    no_payments: 'no payments',
    zero_value_payment: 'payment of 0.00',
    payment_sequence_gap: 'gaps in payment numbering',
    payments_differ_from_total: 'payments do not add up to the total',
  },
};

const headings = {
  es: {
    title: 'Importación del histórico de Olist',
    timeZone: 'Zona horaria de los datos',
    read: 'Pedidos leídos',
    imported: 'Pedidos importados',
    alreadyPresent: 'Ya presentes (sin cambios)',
    failed: 'Pedidos con error',
    flagged: 'Pedidos con anomalías',
    byReason: 'Anomalías por motivo',
    events: 'Eventos añadidos',
    duration: 'Tiempo',
    rate: 'Ritmo',
    ordersPerSec: 'pedidos/s',
    eventsPerSec: 'eventos/s',
    failures: 'Errores',
    none: 'ninguna',
  },
  en: {
    title: 'Olist history import',
    timeZone: 'Time zone of the data',
    read: 'Orders read',
    imported: 'Orders imported',
    alreadyPresent: 'Already present (unchanged)',
    failed: 'Orders failed',
    flagged: 'Orders flagged',
    byReason: 'Anomalies by reason',
    events: 'Events appended',
    duration: 'Time taken',
    rate: 'Rate',
    ordersPerSec: 'orders/s',
    eventsPerSec: 'events/s',
    failures: 'Errors',
    none: 'none',
  },
} as const;

/** Formats a whole number with the language's digit grouping (14.318 in Spanish, 14,318 in English). */
export function formatCount(value: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'es' ? 'es-ES' : 'en-US', { useGrouping: true }).format(value);
}

function formatSeconds(ms: number, lang: Lang): string {
  const seconds = new Intl.NumberFormat(lang === 'es' ? 'es-ES' : 'en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(ms / 1000);
  return `${seconds} s`;
}

/** Formats the import report as text for people. */
export function formatImportReport(report: ImportReport, lang: Lang): string {
  const text = headings[lang];
  const count = (value: number) => formatCount(value, lang);
  const lines = [
    text.title,
    `  ${text.timeZone}: ${report.timeZone}`,
    `  ${text.read}: ${count(report.ordersRead)}`,
    `  ${text.imported}: ${count(report.imported)}`,
    `  ${text.alreadyPresent}: ${count(report.alreadyPresent)}`,
    `  ${text.failed}: ${count(report.failed.length)}`,
    `  ${text.flagged}: ${count(report.flagged)}`,
    `  ${text.byReason}:`,
  ];

  const reasons = (Object.entries(report.flaggedByReason) as [AnomalyReason, number][])
    .filter(([, orders]) => orders > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (reasons.length === 0) lines.push(`    ${text.none}`);
  for (const [reason, orders] of reasons) {
    lines.push(`    ${count(orders).padStart(7)}  ${reason} (${anomalyLabels[lang][reason]})`);
  }

  lines.push(
    `  ${text.events}: ${count(report.eventsAppended)}`,
    `  ${text.duration}: ${formatSeconds(report.durationMs, lang)}`,
    `  ${text.rate}: ${count(Math.round(report.ordersPerSec))} ${text.ordersPerSec}, ${count(Math.round(report.eventsPerSec))} ${text.eventsPerSec}`,
  );
  if (report.failed.length > 0) {
    lines.push(`  ${text.failures}:`);
    for (const failure of report.failed.slice(0, 20)) lines.push(`    ${failure.olistOrderId}: ${failure.code}`);
    if (report.failed.length > 20) lines.push(`    … +${count(report.failed.length - 20)}`);
  }
  return lines.join('\n');
}
