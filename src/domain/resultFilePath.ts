import { badInput } from './errors.js';

/**
 * A ResultFile's path, as a worker reports it, relative to the unit's output directory. It becomes part
 * of an object-store key and, with the local backend, of a file path, so it must not be able to climb
 * out of its unit's folder, and two spellings of one file (`a//b`, `./a/b`) must become one path.
 */

/** Most file systems limit one name to 255 bytes. */
const MAX_SEGMENT_BYTES = 255;
/** S3 limits a whole key to 1024 bytes; the path is only part of one, so this bound is the loosest safe one. */
const MAX_PATH_BYTES = 1024;
/** C0 controls (NUL included), DEL and C1 controls: never meaningful in a file name, dangerous in a path. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
/** `C:`, `C:\x` or `C:/x`: a Windows absolute or drive-relative path. */
const DRIVE_LETTER = /^[A-Za-z]:/;
/** Refusals quote the path, but never a megabyte of it. */
const PREVIEW_CHARS = 120;

const encoder = new TextEncoder();
const byteLength = (text: string): number => encoder.encode(text).length;

/** Collapses `.` segments and repeated or trailing slashes; refuses anything that is not a plain relative path. */
export function normalizeResultFilePath(path: string): string {
  if (typeof path !== 'string') throw badInput('a result file path must be a string', { path });
  const shown = path.length > PREVIEW_CHARS ? `${path.slice(0, PREVIEW_CHARS)}…` : path;
  const refuse = (reason: string) => badInput(`result file path ${JSON.stringify(shown)} ${reason}`, { path: shown });
  if (CONTROL_CHARACTER.test(path)) throw refuse('contains a control character');
  if (path.includes('\\')) throw refuse('contains a backslash; use / to separate directories');
  if (path.startsWith('/')) throw refuse('is absolute; it must be relative to the unit output directory');
  if (DRIVE_LETTER.test(path)) throw refuse('starts with a Windows drive letter');

  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw refuse('contains a .. segment');
  if (segments.length === 0) throw refuse('names no file');
  const tooLong = segments.find((segment) => byteLength(segment) > MAX_SEGMENT_BYTES);
  if (tooLong !== undefined) throw refuse(`has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);

  const normalized = segments.join('/');
  if (byteLength(normalized) > MAX_PATH_BYTES) throw refuse(`is longer than ${MAX_PATH_BYTES} bytes`);
  return normalized;
}

/** A declared file size: a whole number of bytes from 0 to `max`. Returns it, for use in an expression. */
export function validateFileSize(size: number, max: number): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw badInput(`file size ${String(size)} is not a whole, non-negative number of bytes`, { size: String(size), max });
  }
  if (size > max) throw badInput(`file size ${size} exceeds the limit of ${max} bytes`, { size, max });
  return size;
}
