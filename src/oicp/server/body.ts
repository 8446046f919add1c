import type * as http from 'node:http';
import { CLIENT_CLOSED, HttpError } from './errors';

/**
 * The request body, refused with 413 as soon as it is known to be larger than `limit`: at once from its
 * Content-Length, else when the bytes read pass the limit. What was read so far is dropped, the rest is never read.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HttpError(413, `request body larger than ${limit} bytes`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.pause();
      reject(tooLarge());
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      chunks = [];
      reject(err);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        req.pause();
        fail(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', fail);
    // A client that gives up mid-body must not leave the handler waiting forever.
    req.on('close', () => {
      if (!req.complete) fail(new HttpError(CLIENT_CLOSED, 'client closed the request'));
    });
  });
}

/** The body parsed as JSON; 415 unless it is declared as JSON (when `requireJsonType`), 400 when it does not parse. */
export async function readJson(req: http.IncomingMessage, limit: number, requireJsonType = false): Promise<unknown> {
  if (requireJsonType && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Content-Type must be application/json');
  const raw = await readBody(req, limit);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `malformed JSON: ${err instanceof Error ? err.message : 'parse error'}`);
  }
}
