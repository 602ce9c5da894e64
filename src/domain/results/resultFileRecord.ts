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

/** The record of a stored file, without what only the store keeps (the claim that uploaded it). */
export function toRecord(file: ResultFileRecord): ResultFileRecord {
  return {
    id: file.id,
    taskId: file.taskId,
    unitKey: file.unitKey,
    path: file.path,
    size: file.size,
    sha256: file.sha256,
    objectKey: file.objectKey,
    committedAt: file.committedAt,
  };
}
