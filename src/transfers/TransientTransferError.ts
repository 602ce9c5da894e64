/** A transfer to or from the object store failed in a way a retry may fix (connection, 5xx). */
export class TransientTransferError extends Error {
  override name = 'TransientTransferError';
}

/** Statuses after which the same request may succeed later. */
export const isRetryableStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429;
