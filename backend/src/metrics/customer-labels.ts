/** The label value every customer beyond the named ones shares (no customer id starts with `_`). */
export const OTHER_CUSTOMERS = '_other';

/** Customers with a label of their own, per process, unless configured otherwise. */
export const NAMED_CUSTOMERS = 100;

/**
 * Customer label values of bounded cardinality: the first `limit` customers a process sees keep
 * their id, every later one folds into `_other`. First seen rather than largest, because a
 * counter's labels cannot move once it has counted; customers are few per process, and a
 * Prometheus `topk()` over the named ones finds the largest.
 *
 * @example
 * const customerLabel = createCustomerLabels(2);
 * [customerLabel('cust_a'), customerLabel('cust_b'), customerLabel('cust_c')]; // cust_a, cust_b, _other
 */
export function createCustomerLabels(limit = NAMED_CUSTOMERS): (customer: string) => string {
  const named = new Set<string>();
  return (customer) => {
    if (named.has(customer)) return customer;
    if (named.size >= limit) return OTHER_CUSTOMERS;
    named.add(customer);
    return customer;
  };
}
