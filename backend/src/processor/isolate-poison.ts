import { failureKind } from '../errors/failure-kind';
import { groupCommit } from './group-commit';

/** A record that failed alone, with why. */
export interface Poison<T> {
  item: T;
  error: unknown;
}

export interface IsolatePoisonOptions {
  /**
   * Further tries of the whole batch after a deterministic failure, before it is split (a
   * failure that looked deterministic may still pass). @default 2
   */
  retries?: number;
  /** Wait before each further try (ms). @default 200 */
  retryDelayMs?: number;
}

/**
 * Processes `items`, and when that keeps failing deterministically (see `failureKind`), finds
 * the records that fail on their own by halving the batch, processes everything else in
 * order, and answers the poison with its errors for the caller to quarantine. A transient
 * failure is thrown as it is: the caller retries the batch later, nothing is quarantined.
 *
 * Processing is idempotent (by event_id), so the halves that already went through before a
 * later failure are simply processed again when the caller retries.
 *
 * @example
 * const poison = await isolatePoison(events, (part) => processor.process(part).then(() => {}));
 * await quarantine(poison); // then commit the offsets: the partition moves on
 */
export async function isolatePoison<T>(
  items: readonly T[],
  process: (items: T[]) => Promise<void>,
  options: IsolatePoisonOptions = {},
): Promise<Poison<T>[]> {
  const { retries = 2, retryDelayMs = 200 } = options;
  let failure: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    try {
      await process([...items]);
      return [];
    } catch (error) {
      if (failureKind(error) === 'transient') throw error;
      failure = error;
    }
  }
  if (items.length === 1) return [{ item: items[0] as T, error: failure }];
  return bisect([...items], process);
}

async function bisect<T>(items: T[], process: (items: T[]) => Promise<void>): Promise<Poison<T>[]> {
  const middle = items.length >> 1;
  const poison: Poison<T>[] = [];
  // In order, so the records of one visitor are still processed oldest first.
  for (const part of [items.slice(0, middle), items.slice(middle)]) {
    try {
      await process(part);
    } catch (error) {
      if (failureKind(error) === 'transient') throw error;
      if (part.length === 1) poison.push({ item: part[0] as T, error });
      else poison.push(...(await bisect(part, process)));
    }
  }
  return poison;
}

/**
 * The processor's intake as the Kafka consumer and the embedded sink share it, and the Flink
 * loader's warehouse writes: items of concurrent callers go to one `flush` (a group commit);
 * when that fails deterministically, each caller finds the poison among its own items
 * (`isolatePoison`, flushing them alone, so another caller's poison never fails them) and
 * gets it back to quarantine, while a transient failure rejects as it is.
 */
export function groupCommitIsolating<T>(
  flush: (items: T[]) => Promise<void>,
  options: IsolatePoisonOptions = {},
): (items: T[]) => Promise<Poison<T>[]> {
  const submit = groupCommit<T>(flush);
  return async (items) => {
    if (!items.length) return [];
    try {
      await submit(items);
      return [];
    } catch (error) {
      // The commit held other callers' items too: this caller's poison is found on its own.
      if (failureKind(error) === 'transient') throw error;
      return isolatePoison(items, flush, options);
    }
  };
}
