import { Prisma } from './generated/client.js';

/** A JSON value (already checked by canonicalJson) as Prisma wants it for a Json column. */
export function jsonInput(value: unknown): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  return value === null || value === undefined ? Prisma.JsonNull : (value as Prisma.InputJsonValue);
}
