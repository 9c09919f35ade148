/**
 * An event_id for a Segment message that has no `messageId` (the spec's own examples have
 * none). With a `timestamp`, the id is a hash of the customer and the message (less `sentAt`
 * and `writeKey`, which change on a resend), so a retried message keeps its id and is counted
 * once. Without a timestamp, identical messages are not the same event, so the id is random.
 */
export async function deriveMessageId(
  customerId: string,
  message: Record<string, unknown>,
): Promise<string> {
  if (message.timestamp === undefined && message.originalTimestamp === undefined) {
    return crypto.randomUUID();
  }
  const { sentAt: _sentAt, writeKey: _writeKey, ...content } = message;
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`${customerId}\n${JSON.stringify(content)}`),
  );
  let hex = '';
  for (const byte of new Uint8Array(digest, 0, 16)) hex += byte.toString(16).padStart(2, '0');
  return `seg-${hex}`;
}
