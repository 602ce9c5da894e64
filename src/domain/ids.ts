import { badInput } from './errors.js';
import { echo } from './textLimits.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Refuses anything but a UUID with BAD_USER_INPUT (so it never reaches SQL as something else, where
 * it would fail as an internal error); returns it lower-case. Every id argument passes through here
 * once, where the domain first receives it.
 */
export function checkId(what: string, id: string): string {
  if (!uuidPattern.test(id))
    throw badInput(`"${echo(id)}" is not a ${what} id`, { [`${what.replace(/\s+(\w)/g, (_, c: string) => c.toUpperCase())}Id`]: echo(id) });
  return id.toLowerCase();
}
