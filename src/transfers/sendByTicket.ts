/**
 * The client's half of the server's upload tickets (ResultFiles, import uploads, input objects): one
 * PUT to `url`, or parts PUT one after another in order. An answer carries a bounded batch of part
 * URLs, signed when asked for, so later parts of a big upload get URLs that are fresh when their turn
 * comes; `more` asks for the next batch.
 */

export interface UploadTicket {
  uploadId: string;
  url: string | null;
  /** One answer's worth of part URLs; `partCount` says how many there are in all. */
  parts: Array<{ partNumber: number; url: string; offset: number; size: number }>;
  partCount: number;
}

/** The GraphQL selection of an UploadTicket this module needs. */
export const uploadTicketFields = 'uploadId url parts { partNumber url offset size } partCount';

export interface SentPart {
  partNumber: number;
  etag: string;
}

/** PUTs `size` bytes from `offset` of the upload's bytes to `url`; answers the store's ETag. */
export type PutRange = (url: string, offset: number, size: number) => Promise<string>;

/** Sends `size` bytes as the ticket says; returns the parts to commit with (none for a single PUT). */
export async function sendByTicket(
  ticket: UploadTicket,
  size: number,
  put: PutRange,
  more: (firstPartNumber: number) => Promise<UploadTicket>,
): Promise<SentPart[]> {
  if (ticket.url !== null) {
    await put(ticket.url, 0, size);
    return [];
  }
  const sent: SentPart[] = [];
  for (let batch = ticket.parts; batch.length > 0;) {
    for (const part of batch) sent.push({ partNumber: part.partNumber, etag: await put(part.url, part.offset, part.size) });
    const next = batch[batch.length - 1]!.partNumber + 1;
    batch = next > ticket.partCount ? [] : (await more(next)).parts;
  }
  return sent;
}
