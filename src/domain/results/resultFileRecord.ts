/** A committed ResultFile as the domain hands it out: its ref (size, SHA-256) and where its bytes are. */
export interface ResultFileRecord {
  id: string;
  taskId: string;
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  objectKey: string;
  committedAt: Date;
}

export function toRecord(row: { id: string; taskId: string; unitKey: string; path: string; size: bigint; sha256: string; objectKey: string; committedAt: Date }): ResultFileRecord {
  return { id: row.id, taskId: row.taskId, unitKey: row.unitKey, path: row.path, size: Number(row.size), sha256: row.sha256, objectKey: row.objectKey, committedAt: row.committedAt };
}
