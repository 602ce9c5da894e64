import type { UploadTicket } from '../../src/domain/results/ResultFileService.js';

/** PUTs a body to a presigned URL, as a worker does; returns the ETag the store answered with. */
export async function put(url: string, body: Buffer): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body });
  if (!response.ok) throw new Error(`PUT answered ${response.status}: ${await response.text()}`);
  return response.headers.get('etag') ?? '';
}

/** PUTs every part of a ticket (or its single URL) and returns the parts to commit with. */
export async function putAll(ticket: UploadTicket, bytes: Buffer): Promise<Array<{ partNumber: number; etag: string }>> {
  if (ticket.url !== null) {
    await put(ticket.url, bytes);
    return [];
  }
  const parts = [];
  for (const part of ticket.parts) {
    parts.push({ partNumber: part.partNumber, etag: await put(part.url, bytes.subarray(part.offset, part.offset + part.size)) });
  }
  return parts;
}
