/** The order domain's function: a Kafka event source mapping invokes it with batches of business events. */
import { domain } from '../../shared/domains/registry.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';

export const handler = createHandler(domain('order'));
