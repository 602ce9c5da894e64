import { refusal } from '../support/refusals.js';
import { normalizeResultFilePath, validateFileSize } from '../../src/domain/resultFilePath.js';


describe('result file paths', () => {
  test.each([
    ['results/out.json', 'results/out.json'],
    ['./results/./out.json', 'results/out.json'],
    ['results//deep///out.json', 'results/deep/out.json'],
    ['results/', 'results'],
    ['.hidden/file', '.hidden/file'],
    ['a..b/c...', 'a..b/c...'],
    ['dir with space/ünïcødé.txt', 'dir with space/ünïcødé.txt'],
    ['run:1/log', 'run:1/log'],
  ])('"%s" becomes "%s"', (path, normalized) => {
    expect(normalizeResultFilePath(path)).toBe(normalized);
  });

  test('a normalized path normalizes to itself', () => {
    const once = normalizeResultFilePath('./a//b/./c');
    expect(normalizeResultFilePath(once)).toBe(once);
  });

  test.each([
    ['an absolute path', '/etc/passwd', /is absolute/],
    ['a .. segment at the start', '../secret', /\.\. segment/],
    ['a .. segment in the middle', 'a/../../b', /\.\. segment/],
    ['a .. segment at the end', 'a/..', /\.\. segment/],
    ['a backslash', 'a\\b', /backslash/],
    ['a Windows drive letter', 'C:/Windows', /drive letter/],
    ['a drive-relative Windows path', 'c:file', /drive letter/],
    ['NUL', 'a\u0000b', /control character/],
    ['a newline', 'a\nb', /control character/],
    ['DEL', 'a\u007fb', /control character/],
    ['an empty path', '', /names no file/],
    ['only dots and slashes', './/./', /names no file/],
    ['a segment over 255 bytes', `a/${'é'.repeat(128)}`, /segment longer than 255 bytes/],
    ['a path over 1024 bytes', Array.from({ length: 5 }, () => 'x'.repeat(250)).join('/'), /longer than 1024 bytes/],
  ])('refuses %s with BAD_USER_INPUT', (_, path, message) => {
    const error = refusal(() => normalizeResultFilePath(path));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
  });

  test('a segment of exactly 255 bytes and a path of exactly 1024 bytes are accepted', () => {
    const segment = 'x'.repeat(255);
    const path = [segment, segment, segment, 'z'.repeat(254), 'y'].join('/');
    expect(Buffer.byteLength(path)).toBe(1024);
    expect(normalizeResultFilePath(path)).toBe(path);
  });

  test('length limits are measured after normalization', () => {
    expect(normalizeResultFilePath(`${'./'.repeat(2000)}file`)).toBe('file');
  });

  test('a refusal quotes at most the start of a huge path', () => {
    expect(refusal(() => normalizeResultFilePath(`/${'x'.repeat(100_000)}`)).message.length).toBeLessThan(300);
  });
});

describe('declared file sizes', () => {
  test.each([0, 1, 1024, 100])('accepts %d bytes under a 1024-byte limit', (size) => {
    expect(validateFileSize(size, 1024)).toBe(size);
  });

  const absurd = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e30, Number.MAX_SAFE_INTEGER + 1];
  test.each(absurd)('refuses the absurd size %d', (size) => {
    const error = refusal(() => validateFileSize(size, Number.MAX_SAFE_INTEGER));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/not a whole, non-negative number of bytes/);
  });

  test('refuses a size over the limit, naming the limit', () => {
    const error = refusal(() => validateFileSize(1025, 1024));
    expect(error.message).toBe('file size 1025 exceeds the limit of 1024 bytes');
    expect(error.details).toEqual({ size: 1025, max: 1024 });
  });
});
