/** An archive that cannot be what it says it is: refused before anything is sent. */
export class ArchiveError extends Error {
  constructor(
    readonly code: 'BAD_ARCHIVE' | 'CHECKSUM_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}
