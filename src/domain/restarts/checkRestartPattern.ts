import { badInput } from '../errors.js';
import { checkLength, echo } from '../textLimits.js';
import type { Re2Matcher } from './Re2Matcher.js';
import { unsupportedConstruct } from './re2Syntax.js';

export const maxRestartPatternChars = 1000;

/** Refuses, with BAD_USER_INPUT naming why, a restart pattern RE2 cannot match. */
export async function checkRestartPattern(matcher: Re2Matcher, pattern: string): Promise<void> {
  checkLength('pattern', pattern, maxRestartPatternChars);
  const construct = unsupportedConstruct(pattern);
  if (construct !== undefined) {
    throw badInput(`restart patterns are RE2 regular expressions, matched in linear time: ${construct} is not supported`, { construct });
  }
  const engineError = await matcher.compileError(pattern);
  if (engineError !== null) {
    const reason = echo(engineError.replace(/^error parsing regexp: /, ''));
    throw badInput(`"${echo(pattern)}" is not a valid RE2 regular expression: ${reason}`, { reason });
  }
}
