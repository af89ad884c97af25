import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SqlDatabase } from '../../infrastructure/database';
import { componentLogger } from '../../infrastructure/logger';
import { isSupportedCurrency, parseMoney } from '../../pedido/money';

const log = componentLogger('catalog-file');

/**
 * The catalog that ships with the project; `CATALOG_FILE` replaces it. The
 * compiler does not copy JSON files into dist/, so a compiled build reads the
 * file from the source tree.
 */
export const SAMPLE_CATALOG_FILE = [
  path.join(__dirname, 'sample-catalog.json'),
  path.resolve(__dirname, '../../../../src/integrations/standins/sample-catalog.json'),
].find((file) => fs.existsSync(file)) ?? path.join(__dirname, 'sample-catalog.json');

const catalogEntrySchema = z
  .object({
    productId: z.string().trim().min(1).max(100),
    name: z.string().trim().min(1).max(300),
    unitPrice: z.object({
      amount: z.union([z.string(), z.number()]),
      currency: z.string().refine(isSupportedCurrency, { message: 'a supported ISO 4217 currency code such as EUR' }),
    }),
    available: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .strict()
  .refine((entry) => isValidPrice(entry.unitPrice.amount, entry.unitPrice.currency), {
    message: 'a non-negative amount with no more decimals than the currency has',
    path: ['unitPrice', 'amount'],
  });

export type CatalogEntry = z.infer<typeof catalogEntrySchema>;

/** A catalog file that cannot be read or has an invalid entry; the message names the file and the entry. */
export class CatalogFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`Catalog file ${file}: ${message}`);
    this.name = 'CatalogFileError';
  }
}

/** Reads and validates a catalog file: a JSON array of `{ productId, name, unitPrice: { amount, currency }, available }`. */
export function readCatalogFile(file: string): CatalogEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CatalogFileError(file, `cannot be read as JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new CatalogFileError(file, 'must contain a JSON array of products');

  const seen = new Set<string>();
  return parsed.map((raw, index) => {
    const result = catalogEntrySchema.safeParse(raw);
    const label = entryLabel(raw, index);
    if (!result.success) {
      const issue = result.error.issues[0];
      const field = issue.path.length > 0 ? issue.path.join('.') : '(entry)';
      throw new CatalogFileError(file, `${label}: ${field} is invalid (${issue.message})`);
    }
    if (seen.has(result.data.productId)) throw new CatalogFileError(file, `${label}: productId is repeated`);
    seen.add(result.data.productId);
    return result.data;
  });
}

/**
 * Loads catalog entries into `reference_products`. A product not stored yet
 * is inserted. A product that only the catalog ever wrote gets the file's
 * name and price but keeps its current stock, so reservations survive a
 * restart. Products updated by ProductSvc events are left alone.
 */
export async function seedCatalog(db: SqlDatabase, entries: readonly CatalogEntry[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const entry of entries) {
      await tx.query(
        `INSERT INTO reference_products AS p (product_id, name, unit_price_minor, currency, available, source_version)
         VALUES ($1, $2, $3, $4, $5, '-infinity')
         ON CONFLICT (product_id) DO UPDATE SET
           name = EXCLUDED.name, unit_price_minor = EXCLUDED.unit_price_minor, currency = EXCLUDED.currency, updated_at = now()
         WHERE p.source_version = '-infinity'`,
        [entry.productId, entry.name, parseMoney(entry.unitPrice.amount, entry.unitPrice.currency).minor, entry.unitPrice.currency, entry.available],
      );
    }
  });
  log.info('catalog seeded', { products: entries.length });
}

function entryLabel(raw: unknown, index: number): string {
  const productId = typeof raw === 'object' && raw !== null ? (raw as { productId?: unknown }).productId : undefined;
  return typeof productId === 'string' ? `entry ${index} (productId ${JSON.stringify(productId)})` : `entry ${index}`;
}

function isValidPrice(amount: string | number, currency: string): boolean {
  if (!isSupportedCurrency(currency)) return false;
  try {
    parseMoney(amount, currency);
    return true;
  } catch {
    return false;
  }
}
