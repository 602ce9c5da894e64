import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 in the query string (a presigned URL), written out because minio-js never
 * signs Content-Length: its presigned PUT takes a body of any length. Here any header may be signed,
 * and S3 (like MinIO) then refuses a request whose signed header differs, so a URL signed with
 * `content-length: N` can upload exactly N bytes.
 * See https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */

export interface PresignRequest {
  method: 'GET' | 'PUT';
  protocol: 'http:' | 'https:';
  /** The Host header clients will send: `host` or `host:port` (no port when it is the protocol's default). */
  host: string;
  /** The path, already percent-encoded as S3 expects (`/bucket/a%20b/c`). */
  path: string;
  /** Query parameters of the request itself (partNumber, uploadId), unencoded. */
  query?: Record<string, string>;
  /** Headers the client must send with exactly these values, besides Host. Names in lower case. */
  headers?: Record<string, string>;
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
  region: string;
  date: Date;
  expiresInSeconds: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

export function presignV4(request: PresignRequest): string {
  const stamp = amzDate(request.date);
  const scope = `${stamp.slice(0, 8)}/${request.region}/s3/aws4_request`;
  const headers: Record<string, string> = { ...request.headers, host: request.host };
  const headerNames = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const query: Record<string, string> = {
    ...request.query,
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${request.accessKey}/${scope}`,
    'X-Amz-Date': stamp,
    'X-Amz-Expires': String(request.expiresInSeconds),
    'X-Amz-SignedHeaders': headerNames.join(';'),
    ...(request.sessionToken === undefined ? {} : { 'X-Amz-Security-Token': request.sessionToken }),
  };
  const canonicalQuery = Object.entries(query)
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const canonicalRequest = [
    request.method,
    request.path,
    canonicalQuery,
    headerNames.map((name) => `${name}:${String(lowerCased[name]).trim().replace(/ +/g, ' ')}\n`).join(''),
    headerNames.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [ALGORITHM, stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = hmac(signingKey(request.secretKey, stamp.slice(0, 8), request.region), stringToSign).toString('hex');
  return `${request.protocol}//${request.host}${request.path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

/** RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function signingKey(secretKey: string, day: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), region), 's3'), 'aws4_request');
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
