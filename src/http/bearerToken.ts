/** The token of an `Authorization: Bearer <token>` value, or null when there is none. */
export function bearerToken(authorization: string | string[] | undefined | null): string | null {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  if (value === undefined || value === null) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ?? null;
}
