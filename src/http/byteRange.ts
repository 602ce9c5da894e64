/** An inclusive byte range already clamped to the object's size. */
export interface SatisfiableRange {
  start: number;
  end: number;
}

const SINGLE_RANGE = /^bytes=([0-9]*)-([0-9]*)$/;

/**
 * Reads a `Range` header against an object of `size` bytes (RFC 9110 §14). Only single ranges are
 * served: a header this does not understand (several ranges, another unit, bad syntax) is ignored and
 * the whole object sent, as the RFC allows and as S3 does.
 */
export function parseRangeHeader(header: string | undefined, size: number): SatisfiableRange | 'whole' | 'unsatisfiable' {
  const match = header === undefined ? null : SINGLE_RANGE.exec(header.trim());
  if (!match) return 'whole';
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') return 'whole';
    // `bytes=-n`: the final n bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return 'whole'; // not a valid range at all
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
