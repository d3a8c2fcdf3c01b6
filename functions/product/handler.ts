/** The product domain's function: a Kafka event source mapping invokes it with batches of business events. */
import { createHandler } from '../../shared/handler/create-handler.ts';
import { PRODUCT_PROCESSORS } from '../../shared/processors/product.ts';

export const handler = createHandler({ domain: 'product', processors: PRODUCT_PROCESSORS });
