import { conflict, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { Prisma } from './generated/client.js';

/**
 * One table from database driver errors to domain errors, so callers never branch on Prisma codes.
 * Codes: https://www.prisma.io/docs/orm/reference/error-reference
 */
const byPrismaCode: Record<string, (error: Prisma.PrismaClientKnownRequestError) => DomainError> = {
  P2002: (error) => conflict('an object with these unique fields already exists', { target: error.meta?.target }),
  P2025: () => notFound('record'),
  P2034: () => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'transaction conflicted with another; retry'),
};

export function toDomainError(error: unknown): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    return byPrismaCode[error.code]?.(error) ?? error;
  }
  return error;
}

export async function mapDriverErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toDomainError(error);
  }
}
