import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * How long an idle pooled connection is kept for the next request. A server closes an idle keep-alive
 * connection when it likes (Node's servers after 5 s, announcing `Keep-Alive: timeout=5`), and a
 * request written onto it as it does fails with ECONNRESET, "socket hang up", before any answer: the
 * client thought the connection open, the server had already let it go. Closing ours first, well
 * inside any server's idle timeout, removes that race instead of retrying after it. Node's agent also
 * honours a shorter timeout a server announces, less a second.
 */
export const idleConnectionMs = 2_000;

/** A keep-alive agent for outgoing requests to S3 that lets idle connections go first (the API client's pool keeps the same time, ApiClient.ts). */
export function keepAliveAgent(protocol: 'http:' | 'https:'): HttpAgent {
  const options = { keepAlive: true, timeout: idleConnectionMs, scheduling: 'lifo' as const };
  return protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}
