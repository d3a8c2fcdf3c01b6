/** The user domain's function: a Kafka event source mapping invokes it with batches of business events. */
import { createHandler } from '../../shared/handler/create-handler.ts';
import { USER_PROCESSORS } from '../../shared/processors/user.ts';

export const handler = createHandler({ domain: 'user', processors: USER_PROCESSORS });
