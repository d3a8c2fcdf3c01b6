/**
 * The processor interface and registry (the seed's EventProcessor and EventProcessorFactory).
 * A processor is pure: it names the dimension keys its event joins on and maps the event, with
 * those dimensions, to the rows it writes. The pipeline around it batches the I/O for a whole
 * batch — one lookup per dimension table for every event, one transaction of multi-row upserts —
 * so adding an event type never adds a round trip per record.
 */
import type { ProductDimension, UserDimension } from '../cache/dimensions.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import type { EventWrite } from '../mysql/sink.ts';

export interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: number;
}

/** The dimension keys an event joins on (undefined = none). */
export interface DimensionKeys {
  user?: string | undefined;
  product?: string | undefined;
}

/** Dimensions of the batch; `null` when the row is missing (enrichment is a left join). */
export interface DimensionView {
  user(userId: string | undefined): UserDimension | null;
  product(productId: string | undefined): ProductDimension | null;
}

export interface EventProcessor<P = Record<string, unknown>> {
  /** The event type it handles, e.g. `user_login`. */
  readonly type: string;
  dimensionKeys(event: BusinessEvent<P>): DimensionKeys;
  toWrite(event: BusinessEvent<P>, dimensions: DimensionView, record: RecordCoordinates): EventWrite;
}

/** Types a processor by its payload and erases that type for the registry. */
export function defineProcessor<P>(processor: EventProcessor<P>): EventProcessor {
  return processor as unknown as EventProcessor;
}

export class ProcessorRegistry {
  readonly #byType = new Map<string, EventProcessor>();

  constructor(processors: Iterable<EventProcessor> = []) {
    for (const processor of processors) this.register(processor);
  }

  register(processor: EventProcessor): this {
    if (this.#byType.has(processor.type)) throw new Error(`processor for ${processor.type} registered twice`);
    this.#byType.set(processor.type, processor);
    return this;
  }

  get(type: string): EventProcessor | undefined {
    return this.#byType.get(type);
  }
}
