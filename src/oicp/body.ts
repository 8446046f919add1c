import type { PushEvseStatusRequest } from './schemas';

/** Records per chunk: about 57 kB of JSON, small enough to stay out of V8's large-object space. */
export const RECORDS_PER_CHUNK = 1000;

/** Bodies with more records than this are sent in chunks (see pushBodyChunks); smaller ones as one string. */
export const STREAM_ABOVE_RECORDS = 2000;

/**
 * The JSON text of `records` without its brackets, in pieces of `perChunk` records, comma-separated across
 * pieces. Joined, the pieces equal JSON.stringify(records).slice(1, -1).
 */
export function* arrayItemChunks(records: readonly unknown[], perChunk = RECORDS_PER_CHUNK): Generator<string, void, void> {
  for (let i = 0; i < records.length; i += perChunk) {
    const text = JSON.stringify(records.slice(i, i + perChunk));
    yield (i ? ',' : '') + text.slice(1, -1);
  }
}

/**
 * JSON.stringify(body) in pieces, so a 100,000-record fullLoad never exists as one 5 MB string (nor as one
 * 5 MB buffer inside the TLS socket). Joined, the pieces are byte for byte JSON.stringify(body).
 */
export function* pushBodyChunks(body: PushEvseStatusRequest, perChunk = RECORDS_PER_CHUNK): Generator<string, void, void> {
  const shell = JSON.stringify({ ...body, OperatorEvseStatus: { ...body.OperatorEvseStatus, EvseStatusRecord: [] } });
  // Inside a JSON string a quote is always escaped, so this token can only be the property itself.
  const token = '"EvseStatusRecord":[';
  const at = shell.lastIndexOf(`${token}]`) + token.length;
  yield shell.slice(0, at);
  yield* arrayItemChunks(body.OperatorEvseStatus.EvseStatusRecord, perChunk);
  yield shell.slice(at);
}

export interface RequestBody {
  /** A string for ordinary bodies; for large ones, buffers made on demand while undici writes them. */
  body: string | Iterable<Buffer>;
  /** Set for chunked bodies (undici sends it as Content-Length, so the body is not sent chunk-encoded). */
  contentLength?: number;
}

/** What HubjectClient hands to undici for a push. */
export function pushRequestBody(body: PushEvseStatusRequest): RequestBody {
  if (body.OperatorEvseStatus.EvseStatusRecord.length <= STREAM_ABOVE_RECORDS) return { body: JSON.stringify(body) };
  let contentLength = 0;
  for (const piece of pushBodyChunks(body)) contentLength += Buffer.byteLength(piece);
  // The record lists are never changed once queued, so the second pass yields the same bytes.
  const chunks = {
    *[Symbol.iterator]() {
      for (const piece of pushBodyChunks(body)) yield Buffer.from(piece);
    },
  };
  return { body: chunks, contentLength };
}
