import { refusal } from '../support/refusals.js';
import { checkResultFilePath, validateFileSize } from '../../src/domain/resultFilePath.js';

describe('result file paths', () => {
  test.each([
    'results/out.json',
    '.hidden/file',
    'a..b/c...',
    'dir with space/ünïcødé.txt',
    'run:1/log',
    'windows-0/samples.f64',
    '日本語/データ.txt',
    'emoji 🧪.txt',
  ])('the canonical path "%s" is accepted as it is', (path) => {
    expect(checkResultFilePath(path)).toBe(path);
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
    ['a C1 control', 'a\u0085b', /control character/],
    ['an empty path', '', /names no file/],
    ['a segment over 255 bytes', `a/${'é'.repeat(128)}`, /segment longer than 255 bytes/],
    ['a path over 512 bytes', Array.from({ length: 3 }, () => 'x'.repeat(250)).join('/'), /longer than 512 bytes/],
    // Two spellings of one file: only the canonical one is accepted, never rewritten into it.
    ['an empty segment (a//b, aliasing a/b)', 'a//b', /empty segment/],
    ['a . segment (a/./b, aliasing a/b)', 'a/./b', /contains a \. segment/],
    ['a leading ./', './a/b', /contains a \. segment/],
    ['a trailing slash', 'results/', /ends with \//],
    ['only dots and slashes', './/./', /ends with \//],
    ['only a dot', '.', /contains a \. segment/],
    ['a name of only spaces', '   ', /segment of only whitespace/],
    ['a folder named with one space', 'a/ /b', /segment of only whitespace/],
    ['a name of only an ideographic space', '\u3000', /segment of only whitespace/],
    ['a leading space', ' a.txt', /starts or ends with whitespace/],
    ['a trailing space', 'dir/a.txt ', /starts or ends with whitespace/],
    ['a trailing no-break space', 'dir /a.txt', /starts or ends with whitespace/],
    ['a byte-order mark', '\ufeffresult.txt', /invisible formatting character U\+FEFF/],
    ['a right-to-left override', 'invoice\u202etxt.exe', /invisible formatting character U\+202E/],
    ['a zero-width space', 'a\u200bb.txt', /invisible formatting character U\+200B/],
    ['a zero-width joiner', 'a\u200db.txt', /invisible formatting character U\+200D/],
    ['a soft hyphen', 'a\u00adb.txt', /invisible formatting character U\+00AD/],
    ['a line separator', 'a\u2028b.txt', /invisible formatting character U\+2028/],
    ['a lone surrogate', 'a\ud800b.txt', /lone surrogate/],
    ['a decomposed (NFD) accent', 'cafe\u0301.txt', /normalization form C/],
    ['Hangul spelled as separate jamo (not NFC)', '\u1100\u1161.txt', /normalization form C/],
  ])('refuses %s with BAD_USER_INPUT naming the problem', (_, path, message) => {
    const error = refusal(() => checkResultFilePath(path));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
  });

  test('a segment of exactly 255 bytes and a path of exactly 512 bytes are accepted', () => {
    const segment = 'x'.repeat(255);
    const path = [segment, 'z'.repeat(254), 'y'].join('/');
    expect(Buffer.byteLength(path)).toBe(512);
    expect(checkResultFilePath(path)).toBe(path);
    expect(checkResultFilePath(path)).toBe(path);
  });

  test('the NFC spelling of a name whose NFD spelling is refused is accepted', () => {
    expect(checkResultFilePath('cafe\u0301.txt'.normalize('NFC'))).toBe('café.txt');
  });

  test('a refusal quotes at most the start of a huge path', () => {
    expect(refusal(() => checkResultFilePath(`/${'x'.repeat(100_000)}`)).message.length).toBeLessThan(300);
  });

  test('a refusal shows invisible and reordering characters by code point, never as themselves', () => {
    const error = refusal(() => checkResultFilePath('invoice\u202etxt.exe'));
    expect(error.message).toContain('invoice<U+202E>txt.exe');
    expect(error.message).not.toContain('\u202e');
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
