/** The processors of each domain's function. */
import { ORDER_PROCESSORS } from './order.ts';
import { PRODUCT_PROCESSORS } from './product.ts';
import { USER_PROCESSORS } from './user.ts';

export const PROCESSORS_BY_DOMAIN = {
  user: USER_PROCESSORS,
  order: ORDER_PROCESSORS,
  product: PRODUCT_PROCESSORS,
} as const;
