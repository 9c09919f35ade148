import { z } from 'zod';

/** Most triggers one customer may keep: each change is matched against all of them. */
export const MAX_TRIGGERS_PER_CUSTOMER = 200;

const id = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');

const webhookAction = z.strictObject({
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000),
  /** HMAC secret of the signature header; made by Pulse when omitted. */
  secret: z.string().min(16, 'at least 16 characters').max(200).optional(),
});

const clientAction = z.strictObject({
  type: z.literal('client'),
  name: z.string().min(1).max(100),
  payload: z.json().optional(),
});

/** A trigger as a customer writes it (`POST /v1/triggers`, `PUT /v1/triggers/{id}`). */
export const triggerInputSchema = z
  .strictObject({
    id: id.optional(),
    segment_id: z.string().min(1).max(200),
    on: z.enum(['enter', 'exit']),
    action: z.discriminatedUnion('type', [webhookAction, clientAction]),
  })
  // A client action is shown by decide while the profile is in the segment: "on exit" would
  // need the history of every profile that ever left, which decide does not keep.
  .refine((t) => t.action.type !== 'client' || t.on === 'enter', {
    message: "client actions show while a profile is in the segment: use on: 'enter'",
    path: ['on'],
  });

export type TriggerInput = z.infer<typeof triggerInputSchema>;

/** A webhook called when a profile enters or leaves the segment. */
export interface WebhookAction {
  type: 'webhook';
  url: string;
  secret: string;
}

/** An action `GET /v1/decide` hands to the pages of the segment's members. */
export interface ClientActionRule {
  type: 'client';
  name: string;
  payload: unknown;
}

/**
 * A customer's trigger rule, stored as a StateStore document of kind `trigger`: on a segment
 * change (`enter` or `exit`) call a webhook, or show a client action to the members.
 */
export interface Trigger {
  id: string;
  segment_id: string;
  on: 'enter' | 'exit';
  action: WebhookAction | ClientActionRule;
  created_at: string;
  updated_at: string;
}

/** The trigger as the API shows it: a webhook's secret is never read back. */
export function publicTrigger(trigger: Trigger): unknown {
  if (trigger.action.type !== 'webhook') return trigger;
  const { secret, ...action } = trigger.action;
  void secret;
  return { ...trigger, action };
}
