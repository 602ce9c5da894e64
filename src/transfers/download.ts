import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isRetryableStatus, TransientTransferError } from './TransientTransferError.js';

/**
 * Streams one ResultFile from its presigned URL to disk. Result files can be many gigabytes, so bytes go
 * straight from the response body through a hash into a `.part` file; the file takes its real name only
 * once size and SHA-256 match, so an interrupted or corrupt download never looks like a finished one.
 */

export interface RemoteFile {
  /** Shown in errors, e.g. `unitKey/path`. */
  name: string;
  url: string;
  size: number;
  sha256: string;
}

export class ChecksumMismatchError extends Error {
  readonly code = 'CHECKSUM_MISMATCH';
}

/** An error body is only read to explain a refusal; a short prefix is enough. */
const ERROR_BODY_PREVIEW_CHARS = 300;

/** `<outDir>/<unitKey>/<path>`, refusing anything that would land outside outDir. */
export function destinationFor(outDir: string, unitKey: string, path: string): string {
  const root = resolve(outDir);
  const target = resolve(root, unitKey, path);
  const inside = relative(root, target);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new Error(`refusing to write ${unitKey}/${path}: it would land outside ${root}`);
  }
  return target;
}

/** True when `file` exists with exactly this size and SHA-256 (read as a stream). */
export async function hasContent(file: string, size: number, sha256: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile() || info.size !== size) return false;
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex') === sha256;
}

export interface DownloadOptions {
  /** The URL gives the content gzip-compressed: size and SHA-256 are the decoded content's. */
  gunzip?: boolean;
  /**
   * Where the bytes go until they are verified (default `<destination>.part`). Processes that may
   * download the same file at once each need their own: the hash is of the bytes received, not of
   * the file, so two writers of one file could install a mix that neither hashed.
   */
  partial?: string;
}

export async function downloadVerified(
  file: RemoteFile,
  destination: string,
  onProgress?: (bytes: number) => void,
  options: DownloadOptions = {},
): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  let response: Response;
  try {
    response = await fetch(file.url);
  } catch (error) {
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new TransientTransferError(`cannot download ${file.name}: ${reason}`);
  }
  if (!response.ok || response.body === null) {
    const body = (await response.text().catch(() => '')).slice(0, ERROR_BODY_PREVIEW_CHARS);
    const message = `cannot download ${file.name}: HTTP ${response.status}${body === '' ? '' : ` ${body}`}`;
    throw isRetryableStatus(response.status) ? new TransientTransferError(message) : new Error(message);
  }

  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      received += chunk.length;
      onProgress?.(chunk.length);
      // Stops a body (or a gzip bomb) that runs past the size promised instead of filling the disk.
      if (received > file.size) done(new ChecksumMismatchError(`${file.name}: more than the ${file.size} bytes expected; discarded`));
      else done(null, chunk);
    },
  });
  const partial = options.partial ?? `${destination}.part`;
  // fetch's body is the DOM ReadableStream type; at run time it is Node's own web stream.
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  try {
    if (options.gunzip === true) await pipeline(body, createGunzip(), meter, createWriteStream(partial));
    else await pipeline(body, meter, createWriteStream(partial));
    const sha256 = hash.digest('hex');
    if (received !== file.size || sha256 !== file.sha256) {
      throw new ChecksumMismatchError(
        `${file.name}: received ${received} bytes with SHA-256 ${sha256}, expected ${file.size} bytes with ${file.sha256}; discarded`,
      );
    }
    await rename(partial, destination);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof ChecksumMismatchError) throw error;
    // zlib's codes: the bytes are not gzip, which no retry changes.
    if (isZlibError(error)) throw new ChecksumMismatchError(`${file.name}: not valid gzip (${(error as Error).message}); discarded`);
    throw new TransientTransferError(`download of ${file.name} broke off: ${(error as Error).message}`);
  }
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
