import { createHash } from 'node:crypto';

/**
 * Name-based UUIDs (RFC 9562 version 5: SHA-1 of a namespace and a name), so
 * that the same dataset row always maps to the same order, line or payment id
 * and a second import finds what the first one stored.
 */
export function uuidV5(name: string, namespace: string): string {
  const namespaceBytes = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`Invalid UUID namespace ${JSON.stringify(namespace)}`);

  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;

  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Namespace of every id the Olist import derives; changing it would make a re-import create new orders. */
export const OLIST_NAMESPACE = '5b0c8f2e-6a1d-4c39-9e57-0f3a8d21c4b7';

export const olistIds = {
  order: (olistOrderId: string) => uuidV5(`order:${olistOrderId}`, OLIST_NAMESPACE),
  customer: (olistCustomerId: string) => uuidV5(`customer:${olistCustomerId}`, OLIST_NAMESPACE),
  line: (olistOrderId: string, productId: string, unitPrice: string) =>
    uuidV5(`line:${olistOrderId}:${productId}:${unitPrice}`, OLIST_NAMESPACE),
  payment: (olistOrderId: string, sequential: string) => uuidV5(`payment:${olistOrderId}:${sequential}`, OLIST_NAMESPACE),
};
