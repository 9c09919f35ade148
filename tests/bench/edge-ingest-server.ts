/**
 * The stand-in for backend ingest in the edge benchmark, in its own process so that neither the
 * edge measured nor the load generator pays for it (as in production, where ingest runs on
 * other machines). Like backend ingest it verifies each batch's signature (contract
 * `verifyBody`); it does not parse or store the batch. Prints `{ url }` on stdout when
 * listening; answers the message 'count' with {@link IngestCounts}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifyBody } from '@pulse/contract';

/** What the stand-in has seen since it started. */
export interface IngestCounts {
  /** Batches whose signature verified. */
  accepted: number;
  refused: number;
  /** TCP connections opened to it: far fewer than batches when the edge keeps them alive. */
  connections: number;
}

const secret = process.env.INGEST_SECRET ?? '';
const counts: IngestCounts = { accepted: 0, refused: 0, connections: 0 };
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const header = req.headers[SIGNATURE_HEADER];
    const body = Buffer.concat(chunks).toString('utf8');
    void verifyBody(secret, typeof header === 'string' ? header : null, body).then((check) => {
      if (check.ok) counts.accepted++;
      else counts.refused++;
      res.writeHead(check.ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(check.ok ? '{"ok":true}' : JSON.stringify({ error: { code: check.code } }));
    });
  });
});
server.on('connection', () => counts.connections++);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/internal/ingest` })}\n`);
});
process.on('message', (message) => {
  if (message === 'count') process.send?.({ ...counts });
});
