import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { attachmentDisposition } from '../storage/objects/contentDisposition.js';
import type { LocalObjectStore } from '../storage/objects/LocalObjectStore.js';
import { UploadNotFoundError } from '../storage/objects/localMultipart.js';
import type { ObjectUrlGrant } from '../storage/objects/localUrlSigning.js';
import { ObjectIntegrityError, ObjectNotFoundError } from '../domain/objects/ObjectStore.js';
import { InvalidObjectKeyError } from '../domain/objects/objectKeyRules.js';
import { parseRangeHeader } from './byteRange.js';
import { sendJson } from './jsonResponse.js';

/**
 * The HTTP side of the local object store: serves the presigned URLs that LocalObjectStore hands out,
 * so clients upload and download the same way they would against S3. Bodies are streamed both ways;
 * nothing here holds a whole object in memory.
 */

/** Stable codes for every refusal a client can see, each with its HTTP status. */
export const OBJECT_ROUTE_ERRORS = {
  BAD_REQUEST: 400,
  /** The body is shorter than the size the URL was signed for. */
  SIZE_MISMATCH: 400,
  SIGNATURE_INVALID: 403,
  URL_EXPIRED: 403,
  OBJECT_NOT_FOUND: 404,
  UPLOAD_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  LENGTH_REQUIRED: 411,
  /** The body is longer than the size the URL was signed for. */
  PAYLOAD_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ObjectRouteErrorCode = keyof typeof OBJECT_ROUTE_ERRORS;

export type ObjectRouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

const OBJECTS_PATH = '/objects/';
const DECLARED_LENGTH = /^[0-9]{1,15}$/;

class RouteRefusal extends Error {
  constructor(
    readonly code: ObjectRouteErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ObjectRouteOptions {
  /** Told about failures the client only sees as INTERNAL_SERVER_ERROR (or as a response cut short). */
  onUnexpectedError?: (error: unknown) => void;
  /**
   * Asked before a PUT writes anything: whether the upload its URL was handed out for is still open.
   * A committed or abandoned upload's URLs are refused (UPLOAD_NOT_FOUND) even before they expire.
   */
  isUploadOpen?: (grant: ObjectUrlGrant) => Promise<boolean>;
  /** Told of the bytes of every object body as they pass, in either direction. */
  onBytes?: (direction: 'upload' | 'download', bytes: number) => void;
}

/** Returns false for paths outside `/objects/`, leaving them to the caller's other routes. */
export function createSignedObjectHandler(store: LocalObjectStore, options: ObjectRouteOptions = {}): ObjectRouteHandler {
  return async (req, res, url) => {
    if (!url.pathname.startsWith(OBJECTS_PATH)) return false;
    try {
      await serve(store, req, res, url, options);
    } catch (error) {
      const refusal = asRefusal(error);
      if (refusal.code === 'INTERNAL_SERVER_ERROR' && !isClientGone(error)) options.onUnexpectedError?.(error);
      // A refused PUT leaves its body unread on the connection: closing it keeps a client from reusing it.
      refuse(res, refusal, req.method === 'PUT' && !req.complete ? { connection: 'close' } : {});
    }
    return true;
  };
}

async function serve(
  store: LocalObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: ObjectRouteOptions,
): Promise<void> {
  const method = req.method ?? '';
  if (method !== 'GET' && method !== 'PUT') {
    throw new RouteRefusal('METHOD_NOT_ALLOWED', `${method} is not served here; use GET or PUT`, { Allow: 'GET, PUT' });
  }
  const verdict = store.verifySignedUrl({ method, key: keyFromPath(url.pathname), params: url.searchParams });
  if (!verdict.ok) throw new RouteRefusal(verdict.code, verdict.message);
  const count = (direction: 'upload' | 'download') => (bytes: number) => options.onBytes?.(direction, bytes);
  if (verdict.grant.method === 'GET') await sendObject(store, verdict.grant, req, res, counting(count('download')));
  else await receiveObject(store, verdict.grant, req, res, options, count('upload'));
}

async function sendObject(
  store: LocalObjectStore,
  grant: ObjectUrlGrant,
  req: IncomingMessage,
  res: ServerResponse,
  counter: Transform,
): Promise<void> {
  const opened = await store.open(grant.key);
  const range = parseRangeHeader(req.headers.range, opened.size);
  if (range === 'unsatisfiable') {
    await opened.close();
    throw new RouteRefusal('RANGE_NOT_SATISFIABLE', `the object has ${opened.size} bytes`, {
      'Content-Range': `bytes */${opened.size}`,
    });
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Last-Modified': opened.lastModified.toUTCString(),
  };
  if (grant.filename !== undefined) headers['Content-Disposition'] = attachmentDisposition(grant.filename);
  if (range === 'whole') {
    res.writeHead(200, { ...headers, 'Content-Length': opened.size });
    await pipeline(opened.read(), counter, res);
  } else {
    res.writeHead(206, {
      ...headers,
      'Content-Length': range.end - range.start + 1,
      'Content-Range': `bytes ${range.start}-${range.end}/${opened.size}`,
    });
    await pipeline(opened.read(range), counter, res);
  }
}

/**
 * Content-Length is required and becomes the announced size: a body that ends early is refused and
 * leaves nothing behind. Chunked uploads are refused because their size is unknown until the end.
 * A URL signed for a size takes a body of exactly that size: any other is refused before a byte is read.
 */
async function receiveObject(
  store: LocalObjectStore,
  grant: ObjectUrlGrant,
  req: IncomingMessage,
  res: ServerResponse,
  options: ObjectRouteOptions,
  count: (bytes: number) => void,
): Promise<void> {
  const declared = req.headers['content-length'];
  if (declared === undefined) throw new RouteRefusal('LENGTH_REQUIRED', 'a PUT must declare its Content-Length');
  if (!DECLARED_LENGTH.test(declared)) throw new RouteRefusal('BAD_REQUEST', 'Content-Length is not a byte count');
  const size = Number(declared);
  if (grant.size !== undefined && size > grant.size) {
    throw new RouteRefusal('PAYLOAD_TOO_LARGE', `this URL takes a body of ${grant.size} bytes, not ${size}`);
  }
  if (grant.size !== undefined && size < grant.size) {
    throw new RouteRefusal('SIZE_MISMATCH', `this URL takes a body of ${grant.size} bytes, not ${size}`);
  }
  if (options.isUploadOpen !== undefined && !(await options.isUploadOpen(grant))) {
    throw new RouteRefusal('UPLOAD_NOT_FOUND', 'the upload this URL belongs to was committed or abandoned; it takes no more bytes');
  }
  // Counted on the way in, so that bytes of a refused or broken-off body count too: they moved.
  const body = Readable.from(countedChunks(req, count), { objectMode: false });
  if (grant.part) {
    const part = await store.putPart(grant.key, grant.part.uploadId, grant.part.partNumber, body, size);
    sendJson(res, 200, part, { ETag: `"${part.etag}"` });
  } else {
    const stored = await store.put(grant.key, body, { size });
    sendJson(res, 200, stored, { ETag: `"${stored.sha256}"` });
  }
}

async function* countedChunks(source: AsyncIterable<Buffer>, count: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    count(chunk.length);
    yield chunk;
  }
}

/** Passes bytes through unchanged, telling `count` how many went by. */
function counting(count: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      count(chunk.length);
      callback(null, chunk);
    },
  });
}

function keyFromPath(pathname: string): string {
  try {
    return decodeURIComponent(pathname.slice(OBJECTS_PATH.length));
  } catch {
    throw new RouteRefusal('BAD_REQUEST', 'the object key in the path is not valid percent-encoding');
  }
}

function refuse(res: ServerResponse, refusal: RouteRefusal, headers: Record<string, string>): void {
  // Once the body has started there is no way to report an error but to cut the response short.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(
    res,
    OBJECT_ROUTE_ERRORS[refusal.code],
    { error: { code: refusal.code, message: refusal.message } },
    { ...refusal.headers, ...headers },
  );
}

function asRefusal(error: unknown): RouteRefusal {
  if (error instanceof RouteRefusal) return error;
  if (error instanceof ObjectNotFoundError) return new RouteRefusal('OBJECT_NOT_FOUND', error.message);
  if (error instanceof UploadNotFoundError) return new RouteRefusal('UPLOAD_NOT_FOUND', error.message);
  if (error instanceof InvalidObjectKeyError || error instanceof ObjectIntegrityError || error instanceof RangeError) {
    return new RouteRefusal('BAD_REQUEST', error.message);
  }
  return new RouteRefusal('INTERNAL_SERVER_ERROR', 'the object could not be served');
}

/** The client hung up mid-transfer: nothing went wrong on our side. */
function isClientGone(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET';
}
