import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, readBody } from '../../src/http/readBody.js';

/** A server answering each request with what readBody made of its body, or the error's name. */
async function bodyEchoServer(limit: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    readBody(req, limit, 5_000).then(
      (text) => res.end(JSON.stringify({ text })),
      (error: Error) => res.end(JSON.stringify({ error: error.name, tooLarge: error instanceof BodyTooLargeError })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Sends `parts` as separate writes of a chunked body, each after the previous one was flushed. */
async function send(port: number, parts: Buffer[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('error', reject);
    const writeNext = (i: number): void => {
      if (i === parts.length) {
        req.end();
        return;
      }
      req.write(parts[i], () => setImmediate(() => writeNext(i + 1)));
    };
    writeNext(0);
  });
}

describe('reading a request body', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => ({ server, port } = await bodyEchoServer(64)));
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  test('one chunk, several chunks with a character split between two, and none', async () => {
    const text = '{"query":"ΔF → ✓"}';
    const bytes = Buffer.from(text, 'utf8');
    const split = bytes.indexOf(Buffer.from('→', 'utf8')) + 1;
    expect(await send(port, [bytes])).toEqual({ text });
    expect(await send(port, [bytes.subarray(0, split), bytes.subarray(split, split + 3), bytes.subarray(split + 3)])).toEqual({ text });
    expect(await send(port, [])).toEqual({ text: '' });
  });

  test('a body over the limit is refused, whether it comes at once or grows past it', async () => {
    expect(await send(port, [Buffer.alloc(65, 'a')])).toEqual({ error: 'BodyTooLargeError', tooLarge: true });
    expect(await send(port, [Buffer.alloc(40, 'a'), Buffer.alloc(40, 'b')])).toEqual({ error: 'BodyTooLargeError', tooLarge: true });
    expect(await send(port, [Buffer.alloc(32, 'a'), Buffer.alloc(32, 'b')])).toEqual({ text: 'a'.repeat(32) + 'b'.repeat(32) });
  });
});
