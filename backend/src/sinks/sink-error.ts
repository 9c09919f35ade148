/** A sink could not make a batch durable; the edge answers 503 and the client retries. */
export class SinkUnavailableError extends Error {
  readonly code = 'unavailable' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SinkUnavailableError';
  }
}

export const isSinkUnavailableError = (error: unknown): error is SinkUnavailableError =>
  error instanceof SinkUnavailableError;
