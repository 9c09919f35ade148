import { SIGNATURE_HEADER, verifyBody, type SinkBatch } from '@pulse/contract';
import { startRecordingServer, type RecordingServer } from './recording-server';

export interface VerifyingIngest {
  url: string;
  /** Batches whose signature verified, in arrival order. */
  batches: SinkBatch[];
  /** Requests refused for their signature. */
  refused: number;
  /** While set, answers this status instead of 200 (after verifying). */
  failWith: number | undefined;
  server: RecordingServer;
  close(): Promise<void>;
}

/**
 * A stand-in for backend ingest (`POST /internal/ingest`) that does what matters to the edge:
 * verifies the HMAC signature with the contract's `verifyBody`, records the batch, answers 200.
 */
export async function startVerifyingIngest(secret: string): Promise<VerifyingIngest> {
  const state: Omit<VerifyingIngest, 'url' | 'server' | 'close'> = {
    batches: [],
    refused: 0,
    failWith: undefined,
  };
  const server = await startRecordingServer(async (request) => {
    const header = request.headers[SIGNATURE_HEADER];
    const check = await verifyBody(
      secret,
      typeof header === 'string' ? header : null,
      request.body,
    );
    if (!check.ok) {
      state.refused++;
      return { status: 401, body: JSON.stringify({ error: { code: check.code } }) };
    }
    if (state.failWith !== undefined) return { status: state.failWith, body: 'failing on purpose' };
    state.batches.push(JSON.parse(request.body) as SinkBatch);
    return { status: 200, body: '{"ok":true}', contentType: 'application/json' };
  });
  return Object.assign(state, {
    url: `${server.url}/internal/ingest`,
    server,
    close: () => server.close(),
  });
}
