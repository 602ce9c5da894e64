import { badInput } from './errors.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Refuses anything but a UUID (so it never reaches SQL as something else); returns it lower-case. */
export function checkId(what: string, id: string): string {
  if (!uuidPattern.test(id)) throw badInput(`"${id}" is not a ${what} id`, { [`${what.replace(/\s+(\w)/g, (_, c: string) => c.toUpperCase())}Id`]: id });
  return id.toLowerCase();
}
