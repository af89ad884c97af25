import type { SqlDatabase, SqlExecutor } from '../../infrastructure/database';
import type { Migration } from '../../infrastructure/migrations';
import { AppError } from '../../infrastructure/errors';
import type { MoneyData } from '../../pedido/events';
import type { PromotionDefinition } from './promotions-file';

export const promotionMigrations: Migration[] = [
  {
    id: 'application/002-promotions',
    sql: `
CREATE TABLE IF NOT EXISTS promotions (
  code text PRIMARY KEY,
  percent_off text,
  amount_off jsonb,
  valid_from timestamptz,
  valid_to timestamptz,
  min_subtotal jsonb,
  max_redemptions integer,
  redemptions integer NOT NULL DEFAULT 0,
  active boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
  CHECK (max_redemptions IS NULL OR redemptions <= max_redemptions)
);
`,
  },
];

/** A discount code as stored: its definition plus how often it was redeemed. */
export interface Promotion extends PromotionDefinition {
  redemptions: number;
}

interface PromotionRow {
  code: string;
  percent_off: string | null;
  amount_off: MoneyData | string | null;
  valid_from: Date | string | null;
  valid_to: Date | string | null;
  min_subtotal: MoneyData | string | null;
  max_redemptions: number | null;
  redemptions: number;
}

/** Discount codes in the `promotions` table; codes are stored and looked up in upper case. */
export class PromotionRepository {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Makes the table match the promotions file: new codes are added, changed
   * ones updated (their redemption counts kept), and codes no longer in the
   * file deactivated. Returns how many codes are active.
   */
  async load(definitions: readonly PromotionDefinition[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      for (const definition of definitions) await upsert(tx, definition);
      await tx.query('UPDATE promotions SET active = false, updated_at = now() WHERE NOT (code = ANY($1::text[])) AND active', [
        definitions.map((definition) => definition.code),
      ]);
      return definitions.length;
    });
  }

  /** Returns the active promotion with this code (any letter case), or undefined. */
  async find(code: string): Promise<Promotion | undefined> {
    const result = await this.db.query<PromotionRow>(
      `SELECT code, percent_off, amount_off, valid_from, valid_to, min_subtotal, max_redemptions, redemptions
         FROM promotions WHERE code = $1 AND active`,
      [code.trim().toUpperCase()],
    );
    return result.rows[0] ? toPromotion(result.rows[0]) : undefined;
  }

  /**
   * Counts one redemption in `tx`, the transaction that stores the discount's
   * events. The row lock serializes concurrent redemptions, so the count never
   * passes `maxRedemptions`; when none is left it throws 422 DISCOUNT_INVALID.
   */
  async redeem(tx: SqlExecutor, code: string): Promise<void> {
    const result = await tx.query(
      `UPDATE promotions SET redemptions = redemptions + 1, updated_at = now()
        WHERE code = $1 AND active AND (max_redemptions IS NULL OR redemptions < max_redemptions)
        RETURNING redemptions`,
      [code.toUpperCase()],
    );
    if (result.rowCount === 0) throw new AppError('DISCOUNT_INVALID', 422, { code, reason: 'exhausted' });
  }
}

async function upsert(tx: SqlExecutor, definition: PromotionDefinition): Promise<void> {
  await tx.query(
    `INSERT INTO promotions (code, percent_off, amount_off, valid_from, valid_to, min_subtotal, max_redemptions, active)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6::jsonb, $7, true)
     ON CONFLICT (code) DO UPDATE
        SET percent_off = EXCLUDED.percent_off, amount_off = EXCLUDED.amount_off, valid_from = EXCLUDED.valid_from,
            valid_to = EXCLUDED.valid_to, min_subtotal = EXCLUDED.min_subtotal,
            -- A lowered limit never goes below what was already redeemed (the CHECK would reject it).
            max_redemptions = CASE WHEN EXCLUDED.max_redemptions IS NULL THEN NULL
                                   ELSE GREATEST(EXCLUDED.max_redemptions, promotions.redemptions) END,
            active = true, updated_at = now()`,
    [
      definition.code,
      definition.percentOff,
      definition.amountOff ? JSON.stringify(definition.amountOff) : null,
      definition.validFrom,
      definition.validTo,
      definition.minSubtotal ? JSON.stringify(definition.minSubtotal) : null,
      definition.maxRedemptions,
    ],
  );
}

function toPromotion(row: PromotionRow): Promotion {
  return {
    code: row.code,
    percentOff: row.percent_off,
    amountOff: parseJson(row.amount_off),
    validFrom: toIso(row.valid_from),
    validTo: toIso(row.valid_to),
    minSubtotal: parseJson(row.min_subtotal),
    maxRedemptions: row.max_redemptions,
    redemptions: row.redemptions,
  };
}

function parseJson(value: MoneyData | string | null): MoneyData | null {
  if (value === null) return null;
  return typeof value === 'string' ? (JSON.parse(value) as MoneyData) : value;
}

function toIso(value: Date | string | null): string | null {
  if (value === null) return null;
  return new Date(value).toISOString();
}
