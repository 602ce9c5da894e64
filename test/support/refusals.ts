import { ApiError } from '../../src/client/ApiClient.js';
import { DomainError } from '../../src/domain/errors.js';

/** The DomainError a synchronous action throws; anything else (or nothing) fails the test. */
export function refusal(action: () => unknown): DomainError {
  try {
    action();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The public error code a call is refused with, from the domain or over the API. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError || error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error('expected the call to be refused');
}
