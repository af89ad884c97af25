import fs from 'node:fs';
import { z } from 'zod';
import { parseMoney } from '../../pedido';
import type { MoneyData } from '../../pedido/events';

/** A discount code as the promotions file defines it. */
export interface PromotionDefinition {
  code: string;
  /** Percentage with at most two decimals as a decimal string ("12.5"), or null for a fixed amount. */
  percentOff: string | null;
  amountOff: MoneyData | null;
  validFrom: string | null;
  validTo: string | null;
  minSubtotal: MoneyData | null;
  maxRedemptions: number | null;
}

/** A promotions file that cannot be used: the message names the file, the entry and the field. */
export class PromotionsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionsFileError';
  }
}

const money = z.strictObject({
  amount: z.union([z.string().regex(/^\d+(\.\d+)?$/, 'a decimal string such as "5.00"'), z.number().nonnegative()]),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
});

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2025-01-01T00:00:00Z' });

const entrySchema = z
  .strictObject({
    code: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1 to 64 letters, digits, "-" or "_"'),
    percentOff: z
      .number()
      .gt(0, 'more than 0')
      .max(100, 'at most 100')
      .refine((value) => /^\d{1,3}(\.\d{1,2})?$/.test(String(value)), { message: 'at most two decimals' })
      .optional(),
    amountOff: money.optional(),
    validFrom: isoTime.optional(),
    validTo: isoTime.optional(),
    minSubtotal: money.optional(),
    maxRedemptions: z.int().min(0).optional(),
  })
  .refine((entry) => (entry.percentOff === undefined) !== (entry.amountOff === undefined), {
    message: 'exactly one of percentOff and amountOff',
  })
  .refine((entry) => !entry.validFrom || !entry.validTo || Date.parse(entry.validFrom) < Date.parse(entry.validTo), {
    message: 'validFrom before validTo',
    path: ['validTo'],
  });

type Entry = z.output<typeof entrySchema>;

/** Reads and validates a promotions file: a JSON array of discount codes. */
export function readPromotionsFile(file: string): PromotionDefinition[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new PromotionsFileError(`Cannot read promotions file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PromotionsFileError(`Promotions file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parsePromotions(json, file);
}

/** Validates parsed promotions; `source` names the file in error messages. */
export function parsePromotions(json: unknown, source: string): PromotionDefinition[] {
  if (!Array.isArray(json)) throw new PromotionsFileError(`Promotions file ${source} must contain a JSON array of promotions.`);
  const seen = new Set<string>();
  return json.map((raw, index) => {
    const label = describeEntry(raw, index);
    const result = entrySchema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new PromotionsFileError(`Invalid promotions file ${source}: ${label}: ${field}expected ${issue.message}.`);
    }
    const definition = toDefinition(result.data, (field, reason) => {
      throw new PromotionsFileError(`Invalid promotions file ${source}: ${label}: ${field}: ${reason}.`);
    });
    if (seen.has(definition.code)) throw new PromotionsFileError(`Invalid promotions file ${source}: ${label}: code appears more than once.`);
    seen.add(definition.code);
    return definition;
  });
}

function describeEntry(raw: unknown, index: number): string {
  const code = typeof raw === 'object' && raw !== null ? (raw as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `entry ${index} (code "${code}")` : `entry ${index}`;
}

function toDefinition(entry: Entry, fail: (field: string, reason: string) => never): PromotionDefinition {
  const checkMoney = (field: string, value: Entry['amountOff']): MoneyData | null => {
    if (!value) return null;
    const data = { amount: String(value.amount), currency: value.currency };
    try {
      parseMoney(data.amount, data.currency);
    } catch {
      fail(field, `${data.amount} ${data.currency} is not a valid amount in that currency`);
    }
    return data;
  };
  return {
    code: entry.code.toUpperCase(),
    percentOff: entry.percentOff === undefined ? null : String(entry.percentOff),
    amountOff: checkMoney('amountOff', entry.amountOff),
    validFrom: entry.validFrom ? new Date(entry.validFrom).toISOString() : null,
    validTo: entry.validTo ? new Date(entry.validTo).toISOString() : null,
    minSubtotal: checkMoney('minSubtotal', entry.minSubtotal),
    maxRedemptions: entry.maxRedemptions ?? null,
  };
}
