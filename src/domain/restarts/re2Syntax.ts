/**
 * RE2 syntax is JavaScript's regular expressions without the features that need backtracking. These
 * are the ones a pattern written for JavaScript (or Python) most likely uses; naming them tells its
 * author what to change, where the engine's own message would say only "invalid escape sequence".
 */
const lookarounds: ReadonlyArray<[opening: string, name: string]> = [
  ['(?=', 'lookahead (?='],
  ['(?!', 'negative lookahead (?!'],
  ['(?<=', 'lookbehind (?<='],
  ['(?<!', 'negative lookbehind (?<!'],
];

/** The first construct RE2 lacks that the pattern uses, e.g. "backreference \1", or undefined. */
export function unsupportedConstruct(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i];
    if (char === '\\') {
      const rest = pattern.slice(i + 1);
      const digits = /^[1-9][0-9]*/.exec(rest);
      if (!inClass && digits !== null) return `backreference \\${digits[0]}`;
      if (!inClass && rest.startsWith('k<')) return `named backreference \\k<${rest.slice(2).split('>')[0]}>`;
      i += 1;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
      // A ']' right after '[' or '[^' is a literal one, not the end of the class.
      if (pattern[i + 1] === '^') i += 1;
      if (pattern[i + 1] === ']') i += 1;
    } else if (char === '(') {
      const found = lookarounds.find(([opening]) => pattern.startsWith(opening, i));
      if (found !== undefined) return found[1];
    }
  }
  return undefined;
}
