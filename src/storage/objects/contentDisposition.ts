/**
 * `Content-Disposition: attachment` naming the file a download is saved as. Both backends send the
 * same header: the local HTTP route sets it, S3 is asked to via `response-content-disposition`.
 * The quoted name is an ASCII stand-in for old clients; `filename*` carries the exact name (RFC 6266, 8187).
 */
export function attachmentDisposition(filename: string): string {
  const asciiStandIn = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${asciiStandIn}"; filename*=UTF-8''${encodeExtendedValue(filename)}`;
}

/** Percent-encodes everything outside RFC 8187's attr-char set. */
function encodeExtendedValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
