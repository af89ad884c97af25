import type { SqlExecutor } from '../../infrastructure/database';
import type { CallOptions, CustomerDirectory, CustomerInfo } from '../ports';
import { findCustomer } from '../reference-data';

/**
 * UserSvc stand-in: every customer id is valid and active unless
 * `reference_customers` (fed by `ClienteActualizado` events) marks it inactive.
 */
export class StandinCustomerDirectory implements CustomerDirectory {
  constructor(private readonly db: SqlExecutor) {}

  async getCustomer(customerId: string, _options?: CallOptions): Promise<CustomerInfo | undefined> {
    const known = await findCustomer(this.db, customerId);
    if (!known) return { customerId, active: true };
    return {
      customerId,
      active: known.active,
      ...(known.name !== null ? { name: known.name } : {}),
      ...(known.email !== null ? { email: known.email } : {}),
    };
  }
}
