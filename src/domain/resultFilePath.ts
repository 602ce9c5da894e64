import { badInput } from './errors.js';

/**
 * A ResultFile's path, as a worker reports it, relative to the unit's output directory. It becomes part
 * of an object-store key and, with the local backend, of a file path, and users see and download it by
 * name. So it must not be able to climb out of its unit's folder, and each file must have exactly one
 * spelling: a path is accepted only in canonical form, never rewritten into it, so `a//b`, `a/./b` and
 * `a/b` cannot name one file three ways, and no name can hide what it says (invisible or reordering
 * characters, edge whitespace, another Unicode normal form).
 */

/** Most file systems limit one name to 255 bytes. */
const MAX_SEGMENT_BYTES = 255;
/**
 * S3 limits a whole key to 1024 bytes, and the path is only its end: the longest prefix (three 64-byte
 * scope parts, task id, a 200-byte unit key, upload id: see src/domain/objects/objectKeys.ts) takes 484, so
 * a path of this many bytes always fits, whatever unit and scope it belongs to.
 */
export const MAX_PATH_BYTES = 512;
/** Control characters (Cc: C0, DEL, C1; NUL included): never meaningful in a file name, dangerous in a path. */
const CONTROL_CHARACTER = /\p{Cc}/u;
/**
 * Format characters (Cf: the byte-order mark U+FEFF, bidirectional overrides such as U+202E, zero-width
 * spaces and joiners) and line or paragraph separators: invisible, or they make a name read as another.
 */
const INVISIBLE_CHARACTER = /[\p{Cf}\p{Zl}\p{Zp}]/u;
/** Half of a UTF-16 surrogate pair on its own: no character at all, and no UTF-8 spelling. */
const LONE_SURROGATE = /\p{Cs}/u;
/** What a refusal shows as `<U+XXXX>` rather than as itself, so the message cannot hide or reorder text either. */
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** `C:`, `C:\x` or `C:/x`: a Windows absolute or drive-relative path. */
const DRIVE_LETTER = /^[A-Za-z]:/;
/** Refusals quote the path, but never a megabyte of it. */
const PREVIEW_CHARS = 120;

const encoder = new TextEncoder();
const byteLength = (text: string): number => encoder.encode(text).length;
const codePoint = (character: string): string => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
const showable = (text: string): string => text.replace(UNSHOWABLE, (character) => `<${codePoint(character)}>`);

/** Returns the path when it is a canonical relative path; otherwise BAD_USER_INPUT naming what is wrong. */
export function checkResultFilePath(path: string): string {
  if (typeof path !== 'string') throw badInput('a result file path must be a string', { path });
  const preview = path.length > PREVIEW_CHARS ? `${path.slice(0, PREVIEW_CHARS)}…` : path;
  const shown = showable(preview);
  const refuse = (reason: string) => badInput(`result file path ${JSON.stringify(shown)} ${reason}`, { path: shown });
  if (path === '') throw refuse('names no file');
  if (LONE_SURROGATE.test(path)) throw refuse('is not valid Unicode (it holds a lone surrogate)');
  if (CONTROL_CHARACTER.test(path)) throw refuse('contains a control character');
  const invisible = INVISIBLE_CHARACTER.exec(path);
  if (invisible !== null) throw refuse(`contains the invisible formatting character ${codePoint(invisible[0])}`);
  if (path.includes('\\')) throw refuse('contains a backslash; use / to separate directories');
  if (path.startsWith('/')) throw refuse('is absolute; it must be relative to the unit output directory');
  if (DRIVE_LETTER.test(path)) throw refuse('starts with a Windows drive letter');
  if (path.endsWith('/')) throw refuse('ends with /; it must name a file');
  if (path.normalize('NFC') !== path) throw refuse('is not in Unicode normalization form C (NFC); send the NFC spelling');

  for (const segment of path.split('/')) {
    if (segment === '') throw refuse('has an empty segment (//)');
    if (segment === '.') throw refuse('contains a . segment');
    if (segment === '..') throw refuse('contains a .. segment');
    if (segment.trim() === '') throw refuse('has a segment of only whitespace');
    if (segment.trim() !== segment)
      throw refuse(`has a segment that starts or ends with whitespace (${JSON.stringify(showable(segment.slice(0, PREVIEW_CHARS)))})`);
    if (byteLength(segment) > MAX_SEGMENT_BYTES) throw refuse(`has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (byteLength(path) > MAX_PATH_BYTES) throw refuse(`is longer than ${MAX_PATH_BYTES} bytes`);
  return path;
}

/** A declared file size: a whole number of bytes from 0 to `max`. Returns it, for use in an expression. */
export function validateFileSize(size: number, max: number): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw badInput(`file size ${String(size)} is not a whole, non-negative number of bytes`, { size: String(size), max });
  }
  if (size > max) throw badInput(`file size ${size} exceeds the limit of ${max} bytes`, { size, max });
  return size;
}
