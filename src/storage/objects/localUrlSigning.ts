import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Presigned URLs for the local backend, shaped like S3's so clients treat both alike:
 *   {publicBaseUrl}/objects/{key}?method=GET|PUT&expires={unix seconds}[&uploadId=…&partNumber=…][&size=…][&filename=…]&sig={hex}
 * The signature is an HMAC-SHA256 over every one of those values, so none can be changed or dropped.
 */

/** What one signed URL allows: one method on one key (or on one part of one upload) until `expires`. */
export interface ObjectUrlGrant {
  method: 'GET' | 'PUT';
  key: string;
  /** Unix seconds; the URL is refused once the clock has passed it. */
  expires: number;
  part?: { uploadId: string; partNumber: number };
  /** GET only: the name the download is saved under (Content-Disposition). */
  filename?: string;
  /** PUT only: the body must have exactly this many bytes (the route refuses any other Content-Length). */
  size?: number;
}

export type GrantVerdict = { ok: true; grant: ObjectUrlGrant } | { ok: false; code: 'SIGNATURE_INVALID' | 'URL_EXPIRED'; message: string };

const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^[0-9]{1,12}$/;
const PART_NUMBER = /^[1-9][0-9]{0,4}$/;
const BYTE_COUNT = /^(0|[1-9][0-9]{0,15})$/;

export function signedObjectUrl(publicBaseUrl: string, grant: ObjectUrlGrant, secret: string): string {
  const encodedKey = grant.key.split('/').map(encodeURIComponent).join('/');
  const url = new URL(`${publicBaseUrl.replace(/\/+$/, '')}/objects/${encodedKey}`);
  url.searchParams.set('method', grant.method);
  url.searchParams.set('expires', String(grant.expires));
  if (grant.part) {
    url.searchParams.set('uploadId', grant.part.uploadId);
    url.searchParams.set('partNumber', String(grant.part.partNumber));
  }
  if (grant.size !== undefined) url.searchParams.set('size', String(grant.size));
  if (grant.filename !== undefined) url.searchParams.set('filename', grant.filename);
  url.searchParams.set('sig', signature(grant, secret));
  return url.toString();
}

/**
 * Checks a request against the grant its URL claims. The signature is checked before the expiry so
 * that an edited `expires` reads as tampering, not as an honest URL that ran out.
 */
export function verifyObjectUrl(
  request: { method: string; key: string; params: URLSearchParams },
  secret: string,
  nowSeconds: number,
): GrantVerdict {
  const claimed = grantFromParams(request);
  if (typeof claimed === 'string') return { ok: false, code: 'SIGNATURE_INVALID', message: claimed };
  const provided = request.params.get('sig') ?? '';
  if (!SIGNATURE_HEX.test(provided)) {
    return { ok: false, code: 'SIGNATURE_INVALID', message: 'the URL carries no well-formed signature' };
  }
  const expected = Buffer.from(signature(claimed, secret), 'hex');
  if (!timingSafeEqual(Buffer.from(provided, 'hex'), expected)) {
    return { ok: false, code: 'SIGNATURE_INVALID', message: 'the URL signature does not match' };
  }
  if (nowSeconds > claimed.expires) {
    return { ok: false, code: 'URL_EXPIRED', message: `the URL expired at ${new Date(claimed.expires * 1000).toISOString()}` };
  }
  return { ok: true, grant: claimed };
}

/** The grant the URL's parameters describe, or why they describe none. */
function grantFromParams(request: { method: string; key: string; params: URLSearchParams }): ObjectUrlGrant | string {
  const { params } = request;
  const method = params.get('method');
  if (method !== 'GET' && method !== 'PUT') return 'the URL names no method';
  if (method !== request.method) return `the URL was signed for ${method}, not ${request.method}`;
  const expires = params.get('expires') ?? '';
  if (!UNIX_SECONDS.test(expires)) return 'the URL has no valid expiry';
  const grant: ObjectUrlGrant = { method, key: request.key, expires: Number(expires) };

  const uploadId = params.get('uploadId');
  const partNumber = params.get('partNumber');
  if (uploadId !== null || partNumber !== null) {
    if (method !== 'PUT' || uploadId === null || partNumber === null || !PART_NUMBER.test(partNumber)) {
      return 'a part URL needs PUT, an uploadId and a partNumber';
    }
    grant.part = { uploadId, partNumber: Number(partNumber) };
  }
  const size = params.get('size');
  if (size !== null) {
    if (method !== 'PUT' || !BYTE_COUNT.test(size) || !Number.isSafeInteger(Number(size)))
      return 'only a PUT URL can bind a size, a whole number of bytes';
    grant.size = Number(size);
  }
  const filename = params.get('filename');
  if (filename !== null) {
    if (method !== 'GET') return 'only a GET URL can name a download file';
    grant.filename = filename;
  }
  return grant;
}

function signature(grant: ObjectUrlGrant, secret: string): string {
  // JSON keeps the fields unambiguous: no value can smuggle a separator into its neighbour. The size
  // is appended only when bound, so URLs signed before sizes existed keep their signatures.
  const canonical = JSON.stringify([
    'dagkeeper-object-url-v1',
    grant.method,
    grant.key,
    grant.expires,
    grant.part?.uploadId ?? null,
    grant.part?.partNumber ?? null,
    grant.filename ?? null,
    ...(grant.size === undefined ? [] : [grant.size]),
  ]);
  return createHmac('sha256', secret).update(canonical).digest('hex');
}
