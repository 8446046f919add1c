// Errors a handler throws, and the HTTP answer each becomes.

/** An error with the HTTP status to answer; `body` replaces the default {message}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The client went away before the request was read: nobody to answer. */
export const CLIENT_CLOSED = 499;

export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** Close the connection after the answer (its request body is left unread). */
  close: boolean;
}

/** The answer for an error thrown while handling a request. Internal errors never show their message. */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof HttpError) {
    return { status: err.status, body: err.body ?? { message: err.message }, headers: err.headers, close: err.status === 413 || err.status === CLIENT_CLOSED };
  }
  return { status: 500, body: { message: 'internal error' }, headers: {}, close: false };
}
