import type { Scope } from '../scope.js';
import type { TaskStatus } from '../tasks/taskStatus.js';

/** Bytes uploaded for an import, before importTask moves them under the task it makes. */
export interface ImportUploadRecord {
  id: string;
  scope: Scope;
  /** Who opened it: only they may continue, commit or import it. */
  identityId: string;
  size: number;
  sha256: string;
  /** Where the verified bytes live. */
  objectKey: string;
  /** The object store's multipart upload; null for a single PUT. */
  uploadId: string | null;
  partSize: number | null;
  /** Single-PUT uploads: the key the URL writes, moved to objectKey at commit. */
  stagingKey: string | null;
  expiresAt: Date;
  committedAt: Date | null;
}

export type NewImportUpload = Omit<ImportUploadRecord, 'committedAt'>;

/** How an imported attempt ended (TaskAttempt.ending). */
export type ImportedAttemptEnding = 'FINISHED' | 'FAILED' | 'RELEASED';

/** One attempt of an archived task, recorded as a claim that has ended: its results name it. */
export interface ImportedClaim {
  fence: number;
  claimedAt: Date;
  releasedAt: Date;
  ending: ImportedAttemptEnding;
}

/** Import uploads, and the records that make an archived task a task of this server. */
export interface ImportRepository {
  openUpload(upload: NewImportUpload): Promise<ImportUploadRecord>;
  upload(id: string): Promise<ImportUploadRecord | null>;
  /** The uploads among these ids, in no particular order. */
  uploads(ids: readonly string[]): Promise<ImportUploadRecord[]>;
  /** Moves an uncommitted upload's expiry on; false when it is committed or gone. */
  extendUpload(id: string, expiresAt: Date): Promise<boolean>;
  markCommitted(id: string, committedAt: Date): Promise<void>;
  removeUploads(ids: readonly string[]): Promise<void>;
  /** Up to `limit` uploads, committed or not, that expired before `expiredBefore`. */
  expiredUploads(expiredBefore: Date, limit: number): Promise<ImportUploadRecord[]>;

  /** The task imported from the archived task `sourceTaskId` into the scope, if one was. */
  importedTask(scope: Scope, sourceTaskId: string): Promise<{ taskId: string; sha256: string } | null>;
  recordImport(input: { taskId: string; scope: Scope; sourceTaskId: string; sha256: string }): Promise<void>;
  /**
   * The compute service of the importing identity, deregistered from the start, that imported
   * attempts' claims belong to (a claim needs one): made on its first import, it never claims anything.
   */
  importService(identityId: string, name: string, at: Date): Promise<string>;
  /** Records the attempts as claims that have ended; their ids by fence. */
  createClaims(taskId: string, computeServiceId: string, claims: readonly ImportedClaim[]): Promise<Map<number, string>>;
  /**
   * Puts a task just created for the import into the status it ended in where it ran, with its fence
   * past every imported attempt so that a later claim's results cannot collide with theirs. Not a
   * status change: the task is made in that state (its TaskStatusChanged event says from null).
   */
  setImportedState(taskId: string, status: TaskStatus, fence: number): Promise<void>;
}
