import type { Context } from 'hono';
import { ApiError } from './api-error';

/** The request body parsed as JSON; a body that is not JSON is a 400 `invalid_json`. */
export async function readJsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError('invalid_json', 'body is not JSON');
  }
}
