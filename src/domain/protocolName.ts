/** A protocol's name, as transformations, claims and compute services give it: letters, digits, ., _ and -. */
const protocolNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function isProtocolName(value: unknown): boolean {
  return typeof value === 'string' && protocolNamePattern.test(value);
}
