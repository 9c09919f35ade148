import type { ErrorResponse, IngestResponse, ReceiptsResponse } from '@pulse/contract';
import { backoff, retryAfter } from './backoff';
import { adoptJournals, writeJournal } from './journal';
import type { Settings } from './options';
import type { Delivery, Emit, Env, Report, Reply, Row } from './types';
import { utf8Length as utf8 } from './utf8-length';

/** Fetch allows 64 KiB of keepalive request bodies in flight per page; we stay under it. */
const KEEPALIVE_BUDGET = 64000;

/**
 * The delivery pipeline: a persistent queue shared by the site's tabs, batches, retries and
 * the page-hide path. Invariant: an event leaves the queue only after the edge's 200 for its
 * batch (accepted or rejected as invalid); until then it is in the store, or in this page's
 * memory with a synchronous journal in localStorage written whenever the page is hidden.
 */
export const createDelivery = (
  o: Settings,
  env: Env,
  emit: Emit,
  report: Report,
  granted: () => boolean,
  tab: string,
): Delivery => {
  // env.now() is called as such: fewer bytes than an alias.
  const { kv, queueStore: store } = env;
  const at = (path: string) =>
    `${o.endpoint.replace(/\/+$/, '')}/v1/${path}?key=${encodeURIComponent(o.key)}`;
  const jprefix = `pulse:j:${o.key}:`;
  const jkey = jprefix + tab;
  const pokeKey = `pulse:p:${o.key}`;
  const dropKey = `pulse:d:${o.key}`;
  /** Ids sent while the page was being left, whose answer this page may never have read. */
  const sentKey = `pulse:r:${o.key}`;
  /** Events this page must commit or send: id → JSON, in queue order. */
  const pend = new Map<string, string>();
  /** Made here and not yet committed to the store. */
  const wal = new Set<string>();
  /** In a request now. */
  const flight = new Set<string>();
  /** Made in this page and not acknowledged: never sent by an earlier page, so no receipt to ask for. */
  const own = new Set<string>();
  /** Acknowledged in this page: never queued or sent again from here. */
  const done = new Set<string>();
  /** Acknowledged, but their deletion from the store is not committed yet. */
  const undel = new Set<string>();
  /**
   * Sent in a request whose answer never came, so the edge may hold them: 0, sent again with a
   * receipt asked for; 1, sent so, the edge is asked for the receipt before sending them again.
   */
  const unsure = new Map<string, number>();
  let bytes = 0;
  let keepalive = 0;
  let attempt = 0;
  let hold = 0; // no request before this time (backoff or Retry-After)
  // The flags start undefined, read as false (fewer bytes than `= false`).
  /** The hold is the edge's Retry-After: nothing overrides it. */
  let hard: boolean | undefined;
  /** 401/403 or another final 4xx: keep the events for a later page. */
  let stopped: boolean | undefined;
  let limit = o.maxBatchEvents;
  let journaled: boolean | undefined;
  let due = Infinity;
  let timer: unknown;
  let busy: Promise<void> | undefined;
  let committing: Promise<void> | undefined;
  let loading: Promise<void> = Promise.resolve();
  let rechecked: Promise<void> | undefined;
  let decide: () => void;
  const decided = new Promise<void>((r) => (decide = r));
  /** Whether this tab is the one that sends; unset until sending starts (consent). */
  let held: (() => boolean) | undefined;
  let leaving: boolean | undefined;
  let dropping: boolean | undefined;
  let droppedInMemory = 0;

  const sender = () => !store.shared || held?.();
  const dropped = () => +(kv.get(dropKey) || 0);
  const addDropped = (n: number) => kv.set(dropKey, String(Math.max(0, dropped() + n)));

  const remove = (id: string) => {
    bytes -= pend.get(id)?.length || 0;
    pend.delete(id);
  };

  const full = (json: string) =>
    pend.size >= o.maxQueueEvents || bytes + json.length > o.maxQueueBytes;

  const drop = (count: number) => {
    if (granted()) addDropped(count);
    else droppedInMemory += count;
    // One warning per overflow, not one per event: a burst must not flood the console.
    if (!dropping) report('storage', `queue full: ${count} dropped`);
    dropping = true;
    emit('dropped', { count });
  };

  /** Writes (or removes) this page's journal: events not yet in the store, acks not yet applied. */
  const journal = (force?: boolean) => {
    if ((force || journaled) && granted()) {
      journaled = writeJournal(
        kv,
        jkey,
        [...wal].map((id): Row => [id, pend.get(id)!]),
        [...undel],
      );
    }
  };

  const schedule = (ms: number) => {
    const t = env.now();
    const at = Math.max(t + ms, hold);
    if (at < due) {
      env.cancelLater(timer);
      due = at;
      timer = env.later(() => {
        due = Infinity;
        void pump();
      }, at - t);
    }
  };

  const commit = () =>
    (committing ||= Promise.resolve().then(async () => {
      const rows = [...wal].map((id): Row => [id, pend.get(id)!]);
      try {
        await store.put(rows);
      } catch (error) {
        // Even memory refused: the events stay in this page's memory and journal.
        report('storage', `queue write: ${error}`);
        committing = undefined;
        return;
      }
      const mine = sender();
      for (const [id] of rows) {
        wal.delete(id);
        // Another tab sends what is in the store; this page forgets it.
        if (!mine) remove(id);
      }
      committing = undefined;
      journal();
      if (!mine) kv.set(pokeKey, `${tab} ${env.now()}`);
      if (wal.size && granted()) void commit();
    }));

  const ack = (ids: string[]) => {
    for (const id of ids) {
      remove(id);
      wal.delete(id);
      own.delete(id);
      unsure.delete(id);
      done.add(id);
      undel.add(id);
    }
    // The journal must never name an acknowledged event as unsent: the next page would resend it.
    journal();
    void store.del(ids).then(() => {
      for (const id of ids) undel.delete(id);
      journal();
    });
  };

  /**
   * Events sent whose answer will not come (a beacon, a request cut by the page leaving):
   * the next page resends them if they are still queued, and this one leaves them alone for
   * a while in case it stays (so they are not sent twice from here).
   */
  const park = (ids: string[]) => {
    for (const id of ids) flight.add(id);
    env.later(() => {
      leaving = false;
      for (const id of ids) flight.delete(id);
    }, 1e4);
  };

  /** Next batch: unsent events in queue order, within the event and size limits. */
  const pick = (skip: Set<string>) => {
    const ids: string[] = [];
    let size = 0;
    for (const [id, json] of pend) {
      if (skip.has(id)) continue;
      if (ids.length && (ids.length >= limit || size + json.length > o.maxBatchBytes)) break;
      ids.push(id);
      size += json.length;
    }
    return ids;
  };

  const body = (ids: string[], lost: number, unload?: boolean) =>
    `{"sent_at":"${new Date(env.now()).toISOString()}","events":[${ids.map((id) => pend.get(id)).join()}]${lost ? `,"dropped":${lost}` : ''}${unload ? ',"unload":true' : ''}}`;

  /** Remembers ids sent at unload (synchronously: it may be the page's last act). */
  const unconfirmed = (): string[] => JSON.parse(kv.get(sentKey) || '[]') as string[];
  const mark = (ids: string[]) => {
    if (granted())
      kv.set(
        sentKey,
        JSON.stringify(
          unconfirmed()
            .filter((id) => pend.has(id))
            .concat(ids),
        ),
      );
  };

  /** A final refusal: a 4xx other than 408 (timeout) and 429 (too many); a retry gets the same. */
  const refused = (status: number) =>
    status > 399 && status < 500 && status != 408 && status != 429;

  /** No request before a while: the edge's Retry-After, else backoff. Resolves false. */
  const wait = (status: number, reply?: Reply) => {
    const after =
      status == 429 || status == 503 ? retryAfter(reply!.retryAfter, env.now()) : undefined;
    hard = after != null;
    const ms = after ?? backoff(attempt++, o.retryBase, o.retryCap, env.rand());
    hold = env.now() + ms;
    schedule(ms);
    report('delivery', `${status || 'offline'}: retry in ${ms | 0} ms`, true);
    return false;
  };

  /** Sends one batch and applies the answer; resolves true when the next batch may go now. */
  const post = async (ids: string[], keep?: boolean): Promise<boolean> => {
    const lost = dropped();
    const gone = keep || leaving;
    // Sent while leaving, or again after an answer was lost, the edge keeps a receipt: this
    // page, or the next one, asks for it before sending them again.
    const unload = gone || ids.some((id) => unsure.has(id));
    if (unload) mark(ids);
    const text = body(ids, lost, unload);
    const size = utf8(text);
    keep ||= keepalive + size <= KEEPALIVE_BUDGET;
    if (keep) keepalive += size;
    for (const id of ids) flight.add(id);
    let reply: Reply | undefined;
    try {
      reply = await env.send(at('events'), text, keep);
    } catch {
      // A network error: retried below like a 5xx.
    }
    if (keep) keepalive -= size;
    for (const id of ids) flight.delete(id);
    // Browsers fail a page's requests as it is left (navigation, closed tab), though keepalive
    // ones go on: such a failure is no reason to send the same events again from this page.
    if (!reply && gone) return (park(ids), false);
    // No answer: the edge may have them all the same.
    if (!reply) for (const id of ids) unsure.set(id, +unload);
    const status = reply?.status || 0;
    const why = (reply?.body as ErrorResponse | undefined)?.error?.message || '';
    if (status > 199 && status < 300) {
      attempt = 0;
      if (lost) addDropped(-lost);
      const rejected = (reply!.body as IngestResponse | undefined)?.rejected || [];
      for (const r of rejected) {
        console.warn(`pulse: ${ids[r.index]} rejected: ${r.message}`);
        emit('rejected', r);
      }
      ack(ids);
      emit('sent', { ids: ids.filter((_, i) => !rejected.some((r) => r.index == i)) });
      return true;
    }
    if (status == 400 || status == 413) {
      // The batch as a whole was refused: halve it until the offending event is alone, then drop it.
      if (ids.length > 1)
        limit = (ids.length + 1) >> 1; // half, rounded up
      else {
        limit = o.maxBatchEvents;
        ack(ids);
        report('delivery', `${status} ${why}: ${ids[0]} dropped`);
      }
      return true;
    }
    if (refused(status)) {
      stopped = true;
      report('delivery', `${status} ${why}: sending stopped, events kept`);
      return false;
    }
    return wait(status, reply);
  };

  const pump = (): Promise<void> =>
    (busy ||= Promise.resolve()
      .then(async () => {
        while (granted() && !stopped && sender()) {
          // A timer may fire a little before the hold ends: wait for the rest of it.
          if (env.now() < hold) return schedule(0);
          const ids = pick(flight);
          if (!ids.length) break;
          // Sent with a receipt and not answered: ask before sending any of them again.
          const asked = ids.filter((id) => unsure.get(id)).slice(0, 1e3);
          if (asked.length) {
            const missing = await receipts(asked);
            if (!missing) return void wait(0);
            for (const id of missing) unsure.set(id, 0);
          } else if (!(await post(ids))) break;
        }
      })
      .finally(() => (busy = undefined)));

  /**
   * Asks the edge which of `ids` arrived and acknowledges those; resolves with the rest, or
   * undefined when no answer came or the edge answered that it cannot say now (408, 429, 5xx).
   * Another refusal counts as none arrived: sending them again is safe.
   */
  const receipts = async (ids: string[]) => {
    if (!ids.length) return ids;
    const reply = await env
      .send(at('receipts'), JSON.stringify({ event_ids: ids }))
      .catch(() => undefined);
    const status = reply?.status || 0;
    if (status == 200) ack((reply!.body as ReceiptsResponse).received.filter((id) => pend.has(id)));
    else if (!refused(status)) return;
    return ids.filter((id) => pend.has(id));
  };

  /**
   * The sender rebuilds its view from the store, adopting journals of pages that are gone.
   * `elected`: this page just became the sender (it loaded, or the sending tab closed).
   */
  const reload = (elected?: boolean) =>
    (loading = loading
      .then(async () => {
        if (!granted() || !sender()) return;
        await adoptJournals(kv, store, jprefix, jkey, done);
        const rows = await store.all();
        // A Map iterates safely while its entries are deleted.
        for (const id of pend.keys()) if (!wal.has(id) && !flight.has(id)) remove(id);
        const extra: string[] = [];
        for (const [id, json] of rows) {
          if (pend.has(id) || done.has(id)) continue;
          if (full(json)) extra.push(id);
          else {
            pend.set(id, json);
            bytes += json.length;
          }
        }
        if (extra.length) {
          await store.del(extra);
          drop(extra.length);
        }
        // Events an earlier page sent as it was left, without reading the answer: ask the edge
        // which arrived instead of sending them all again. No answer means resend (safe). A
        // newly elected sender asks about every queued event of earlier pages, not only those
        // marked (a closing tab's last localStorage write can be lost), and asks once more a
        // little later about those not there yet: a closing tab's keepalive request may still
        // be on its way. Until then this page does not send them.
        const marked = new Set(unconfirmed());
        kv.del(sentKey);
        const earlier = [...pend.keys()]
          .filter((id) => marked.has(id) || (elected && !own.has(id)))
          .slice(0, 1e3); // the contract's most ids per receipts request
        // No answer: none counts as received (sending them again is safe).
        const missing = (await receipts(earlier)) || earlier;
        if (elected && missing.length) {
          for (const id of missing) flight.add(id);
          rechecked = new Promise<void>((done) => env.later(done, 3e3))
            .then(() => receipts(missing))
            .then(() => {
              for (const id of missing) flight.delete(id);
              void pump();
            });
        }
        void pump();
      })
      .catch((error: unknown) => report('storage', `queue read: ${error}`)));

  const start = () => {
    // Drops counted before consent are reported from now on.
    if (droppedInMemory) addDropped(droppedInMemory);
    droppedInMemory = 0;
    held ||= env.elect(`pulse:${o.key}`, (mine) => {
      decide();
      if (mine) void reload(true);
    });
    void commit();
    schedule(0);
  };

  const soft = () => {
    if (!hard) hold = 0;
  };

  return {
    edgeUrl: at,
    queueEvent: (id, json) => {
      if (full(json)) return drop(1);
      dropping = false;
      pend.set(id, json);
      bytes += json.length;
      wal.add(id);
      own.add(id);
      // Without consent events wait in memory only: nothing is stored or sent.
      if (!granted()) return;
      void commit();
      if (pend.size - flight.size >= limit || bytes >= o.maxBatchBytes) void pump();
      else schedule(o.flushInterval);
    },
    flush: async () => {
      if (!granted()) return;
      soft();
      await decided;
      await committing;
      await loading;
      await rechecked;
      await pump();
    },
    leave: () => {
      leaving = true;
      soft();
      void pump();
    },
    pageHidden: () => {
      if (!granted()) return;
      journal(true);
      if (!sender() || stopped || (hard && env.now() < hold)) return;
      // Everything unsent goes now: keepalive fetch while the budget lasts (its answer still
      // removes the events if the page survives), then sendBeacon. The events stay queued
      // until acknowledged, so the next page resends any the edge did not answer for.
      const skip = new Set(flight);
      for (let ids = pick(skip); ids.length; ids = pick(skip)) {
        for (const id of ids) skip.add(id);
        const text = body(ids, 0, true);
        if (keepalive + utf8(text) <= KEEPALIVE_BUDGET) void post(ids, true);
        else if ((mark(ids), env.beacon(at('events'), text))) park(ids);
        else break;
      }
    },
    online: () => {
      soft();
      attempt = 0;
      void pump();
    },
    poked: (key) => {
      if (key == pokeKey || key.startsWith(jprefix)) void reload();
    },
    startSending: start,
    forgetAll: async () => {
      pend.clear();
      wal.clear();
      bytes = 0;
      droppedInMemory = 0;
      await store.clear();
    },
  };
};
