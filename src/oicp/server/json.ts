import type * as http from 'node:http';

/** A JSON answer with its Content-Length; nothing when an answer was already sent or the client is gone. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): boolean {
  if (res.headersSent || res.destroyed) return false;
  const s = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(s)), ...headers });
  res.end(s);
  return true;
}
