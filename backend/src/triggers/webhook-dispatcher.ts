import pLimit, { type LimitFunction } from 'p-limit';
import type { SegmentChange } from '@pulse/contract';
import type { LiveFeed } from '../api/live-feed';
import type { StateStore } from '../state/state-store';
import { changeKey } from './change-key';
import { createDeliveryLog, type Delivery, type DeliveryAttempt } from './delivery-log';
import { retryAfterMs, retryDelayMs, WEBHOOK_CONCURRENCY, WEBHOOK_RETRY } from './retry-policy';
import type { Trigger, WebhookAction } from './trigger';
import { createTriggerStore } from './trigger-store';
import { publicOnlyFetch } from './webhook-guard';
import { postWebhook, webhookBody, type WebhookBody } from './webhook-request';
import { logError } from '../log';

export interface WebhookDispatcherOptions {
  store: StateStore;
  /** Processed batches as they become durable; their `changes` drive the webhooks. */
  live: LiveFeed;
  /** How webhooks are POSTed. @default public addresses only (see `allowPrivateNetworks`) */
  fetch?: typeof fetch;
  /**
   * Lets webhooks reach loopback, private and link-local addresses: for development and
   * tests with a local receiver, never for customers' URLs in production. @default false
   */
  allowPrivateNetworks?: boolean;
  /** Uniform in [0, 1), for the back-off jitter. @default Math.random */
  random?: () => number;
  /** Failures no caller awaits (the delivery log could not be written). @default an error line in the log (log.ts) */
  onError?: (what: string, error: unknown) => void;
  /** After each POST: delivered, failed for good, or failed with a retry to follow (metrics). */
  onAttempt?: (outcome: 'delivered' | 'failed' | 'retry') => void;
}

export interface WebhookDispatcher {
  /**
   * Resolves once the deliveries of the batches heard so far are in the log (`pending` or
   * later); rejects if the last batch's could not be written. The processor awaits it before
   * it forgets a batch's changes (its outbox), so a crash never loses a webhook.
   */
  recorded(): Promise<void>;
  /** Resolves once every delivery started so far is delivered, failed, or stopped. */
  idle(): Promise<void>;
  /** Stops listening and cuts back-offs short; pending deliveries resume at the next start. */
  stop(): Promise<void>;
}

type Hook = Trigger & { action: WebhookAction };

const running = new WeakMap<LiveFeed, WebhookDispatcher>();

/**
 * Calls the customers' webhook triggers for the segment changes of each processed batch.
 *
 * A delivery is written to the log as `pending` before its first POST, updated after each
 * attempt, and retried with back-off up to `WEBHOOK_RETRY.attempts`. A change seen again (a
 * batch replayed after a crash) finds its record and is not posted twice; deliveries left
 * pending by a stopped process are resumed when the next one starts. One dispatcher runs per
 * live feed: starting a second on the same feed returns the first, so nothing is posted twice.
 *
 * The processor publishes each batch to the feed from its outbox (again after a crash, so a
 * change is heard at least once); awaiting `recorded()` before the outbox entry is cleared
 * makes every heard change reach the log (see README.md, "Guarantees").
 */
export function startWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const existing = running.get(options.live);
  if (existing) return existing;

  const { store, live } = options;
  const fetchImpl =
    options.fetch ?? (options.allowPrivateNetworks ? globalThis.fetch : publicOnlyFetch());
  const random = options.random ?? Math.random;
  const onError = options.onError ?? logError;
  const triggers = createTriggerStore(store);
  const log = createDeliveryLog(store);
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  /** The intake chain (never rejects) and its latest link (rejects when it failed). */
  let intake: Promise<void> = Promise.resolve();
  let latest: Promise<void> = intake;

  const track = (what: string, work: Promise<void>) => {
    const tracked = work.catch((error: unknown) => onError(what, error));
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  const webhooksOf = async (customer: string): Promise<Hook[]> =>
    (await triggers.list(customer)).filter((t): t is Hook => t.action.type === 'webhook');

  // Deliveries wait their turn rather than open a connection each: a burst of segment changes
  // (a backfill, a redefinition) cannot open thousands at once, nor one customer all of them.
  const allCalls = pLimit(WEBHOOK_CONCURRENCY.total);
  const callsOf = new Map<string, LimitFunction>();
  const post = (customer: string, target: Hook['action'], body: WebhookBody) => {
    let ofCustomer = callsOf.get(customer);
    if (!ofCustomer) callsOf.set(customer, (ofCustomer = pLimit(WEBHOOK_CONCURRENCY.perCustomer)));
    return ofCustomer(() => allCalls(() => postWebhook(fetchImpl, target, body)));
  };

  const deliver = async (customer: string, delivery: Delivery): Promise<void> => {
    while (delivery.status === 'pending' && !stopping.signal.aborted) {
      // The trigger is read again before each attempt: a new URL or secret applies to
      // retries, and a deleted trigger (its log cleared) stops them.
      const trigger = (await webhooksOf(customer)).find((t) => t.id === delivery.trigger_id);
      if (!trigger) return;
      const body = webhookBody(delivery.key, trigger.id, delivery.change);
      const answer = await post(customer, trigger.action, body);
      const attempt: DeliveryAttempt = { at: new Date().toISOString(), status: answer.status };
      if (answer.error) attempt.error = answer.error;
      delivery.attempts.push(attempt);
      delivery.url = trigger.action.url;
      if (answer.ok) delivery.status = 'delivered';
      else if (delivery.attempts.length >= WEBHOOK_RETRY.attempts) delivery.status = 'failed';
      else {
        const backoff = retryDelayMs(delivery.attempts.length, random);
        attempt.retry_in_ms = Math.max(backoff, retryAfterMs(answer.retryAfter) ?? 0);
      }
      delivery.updated_at = attempt.at;
      options.onAttempt?.(delivery.status === 'pending' ? 'retry' : delivery.status);
      await log.put(customer, delivery);
      if (attempt.retry_in_ms !== undefined) await sleep(attempt.retry_in_ms);
    }
  };

  /** Records a pending delivery for every (webhook trigger, change) pair not seen before. */
  const intakeChanges = async (changes: SegmentChange[]) => {
    const byCustomer = new Map<string, SegmentChange[]>();
    for (const change of changes) {
      const list = byCustomer.get(change.customer_id) ?? [];
      list.push(change);
      byCustomer.set(change.customer_id, list);
    }
    for (const [customer, list] of byCustomer) {
      for (const trigger of await webhooksOf(customer)) {
        const matching = list.filter(
          (c) => c.segment_id === trigger.segment_id && c.change === trigger.on,
        );
        if (matching.length === 0) continue;
        const seen = new Set((await log.list(customer, trigger.id)).map((d) => d.key));
        for (const change of matching) {
          const key = changeKey(change);
          if (seen.has(key)) continue;
          seen.add(key);
          const now = new Date().toISOString();
          const delivery: Delivery = {
            key,
            trigger_id: trigger.id,
            url: trigger.action.url,
            change,
            status: 'pending',
            attempts: [],
            created_at: now,
            updated_at: now,
          };
          await log.put(customer, delivery);
          track(`webhook delivery ${key} of trigger ${trigger.id}`, deliver(customer, delivery));
        }
        await log.prune(customer, trigger.id);
      }
    }
  };

  /** Deliveries a stopped process left pending, resumed after what remains of their back-off. */
  const resume = async () => {
    for (const customer of await store.customersWithSegments()) {
      for (const trigger of await webhooksOf(customer)) {
        for (const delivery of await log.list(customer, trigger.id)) {
          if (delivery.status !== 'pending') continue;
          const last = delivery.attempts.at(-1);
          const due = last ? Date.parse(last.at) + (last.retry_in_ms ?? 0) : 0;
          const work = sleep(Math.max(0, due - Date.now())).then(() => deliver(customer, delivery));
          track(`resumed webhook delivery ${delivery.key}`, work);
        }
      }
    }
  };

  const enqueue = (what: string, work: () => Promise<void>) => {
    // Intake runs batch after batch, so a change repeated in the next batch sees its record.
    latest = intake.then(work);
    intake = latest.catch((error: unknown) => onError(what, error));
  };
  enqueue('resuming webhook deliveries failed', resume);
  const unsubscribe = live.subscribe((batch) => {
    if (batch.changes.length === 0 || stopping.signal.aborted) return;
    enqueue('recording webhook deliveries failed', () => intakeChanges(batch.changes));
  });

  const idle = async () => {
    await intake;
    while (inFlight.size > 0) {
      await Promise.all(inFlight);
      await intake;
    }
  };

  const dispatcher: WebhookDispatcher = {
    recorded: () => latest,
    idle,
    async stop() {
      if (running.get(live) === dispatcher) running.delete(live);
      unsubscribe();
      stopping.abort();
      await idle();
    },
  };
  running.set(live, dispatcher);
  return dispatcher;
}
