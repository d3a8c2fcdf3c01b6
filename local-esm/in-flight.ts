/**
 * A batch in flight in the runner (./runner.ts): started, abandoned (a poller dying mid-invocation),
 * waited for on a rebalance.
 */

export interface InFlightBatch {
  /** Settles when the batch is done; never rejects if `run` does not. */
  task: Promise<void>;
  /** Stops waiting for the invocation: resolves the promise `run` was given. */
  abandon: () => void;
  readonly abandoned: boolean;
}

/** Starts `run` on the next microtask, so the caller registers the batch before the handler starts. */
export function startBatch(run: (abandoned: Promise<void>) => Promise<void>): InFlightBatch {
  let resolve: () => void = () => {};
  const abandoned = new Promise<void>((r) => {
    resolve = r;
  });
  const batch = {
    abandoned: false,
    abandon: () => {
      batch.abandoned = true;
      resolve();
    },
    task: (async () => {
      await Promise.resolve();
      await run(abandoned);
    })(),
  };
  return batch;
}

/** True when every promise settled within `ms`. */
export async function settledWithin(promises: Array<Promise<unknown>>, ms: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.allSettled(promises).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
