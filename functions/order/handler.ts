/** The order domain's function: a Kafka event source mapping invokes it with batches of business events. */
import { createHandler } from '../../shared/handler/create-handler.ts';
import { ORDER_PROCESSORS } from '../../shared/processors/order.ts';

export const handler = createHandler({ domain: 'order', processors: ORDER_PROCESSORS });
