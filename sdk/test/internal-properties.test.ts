import {
  clientEventSchema,
  eventBatchEnvelopeSchema,
  receiptsRequestSchema,
} from '@pulse/contract/schema';
import { describe, expect, it } from 'vitest';
import { INTERNAL_PROPERTIES } from '../internal-properties';
import { createInstance } from '../src/core/create-instance';
import { DEFAULTS } from '../src/core/options';
import { createWorld } from './fake-env';

/**
 * Names the IIFE must keep as they are: the SDK's surface, the edge's answers it reads, the
 * context it sends and the snippet's stub. Stored records hold no property names (journals
 * are arrays, queues map event ids to the events' JSON).
 */
const KEPT = [
  // Options of init() and of identify().
  ...Object.keys(DEFAULTS),
  ...['key', 'endpoint', 'autoPageViews', 'captureClicks', 'requireConsent', 'userHash'],
  // What on() hands to listeners.
  ...['code', 'message', 'ids', 'count'],
  // The edge's answers: ingest, receipts, errors, decide.
  ...['accepted', 'rejected', 'index', 'event_id', 'received', 'error'],
  ...['segments', 'actions', 'trigger_id', 'name', 'payload', 'visitor_id', 'id'],
  // The event context the SDK sends.
  ...['locale', 'timezone', 'page', 'url', 'path', 'title', 'referrer', 'search', 'screen'],
  ...['width', 'height', 'density', 'campaign', 'library', 'version'],
  // The snippet's stub: its queued calls and its loaded flag.
  ...['_q', 'l'],
];

describe('property names shortened in the IIFE', () => {
  it('include no name on the wire, in the public API or in the snippet', () => {
    const api = createInstance({ env: () => createWorld().env(1), attach: () => {} });
    const names = [
      ...Object.keys(clientEventSchema.shape),
      ...Object.keys(eventBatchEnvelopeSchema.shape),
      ...Object.keys(receiptsRequestSchema.shape),
      ...Object.keys(api),
      ...KEPT,
    ];
    expect(names.filter((name) => INTERNAL_PROPERTIES.test(name))).toEqual([]);
  });
});
