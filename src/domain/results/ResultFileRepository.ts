import type { ResultFileRecord } from './resultFileRecord.js';

/** A ResultFile with the claim (the attempt) that uploaded it. */
export interface StoredResultFile extends ResultFileRecord {
  claimId: string;
}

/** A ResultFile upload: announced, then its bytes put through URLs, then committed (see ResultFileUploads). */
export interface UploadRecord {
  id: string;
  taskId: string;
  claimId: string;
  unitKey: string;
  path: string;
  size: number;
  /** Announced at opening, or only at commit. */
  sha256: string | null;
  /** Where the committed bytes live. */
  objectKey: string;
  /** The object store's multipart upload; null for a single PUT. */
  uploadId: string | null;
  /** Multipart uploads: the size of every part but the last (null for those opened before it was recorded). */
  partSize: number | null;
  /** Single-PUT uploads: the key the URL writes, moved to objectKey at commit; null once committed. */
  stagingKey: string | null;
  expiresAt: Date;
  committedAt: Date | null;
}

export type NewUpload = Omit<UploadRecord, 'committedAt'>;

/** ResultFiles and their uploads. */
export interface ResultFileRepository {
  /** The tasks' files (of one unit, when given), by unit key, then path. */
  ofTasks(taskIds: readonly string[], unitKey?: string): Promise<StoredResultFile[]>;
  atPath(taskId: string, unitKey: string, path: string): Promise<StoredResultFile | null>;
  /** Records the file at its path, replacing the one there (which gets a new commit time). */
  record(file: Omit<StoredResultFile, 'id' | 'committedAt'>): Promise<StoredResultFile>;
  /** Whether a file or an upload of the task names the key (as its object or its staging key). */
  keyInUse(taskId: string, key: string): Promise<boolean>;
  /** Every object key the task's files and uploads name, staging keys included. */
  objectKeysOf(taskId: string): Promise<string[]>;

  openUpload(upload: NewUpload): Promise<UploadRecord>;
  upload(uploadId: string): Promise<UploadRecord | null>;
  /** Moves an uncommitted upload's expiry on to `expiresAt`; false when it is committed, gone, or expires later already. */
  extendUpload(uploadId: string, expiresAt: Date): Promise<boolean>;
  /** Whether the upload exists and is not committed. */
  isUploadOpen(uploadId: string): Promise<boolean>;
  removeUpload(uploadId: string): Promise<void>;
  /** Records the commit: its time and digest; the staging key is done with. */
  markCommitted(uploadId: string, committedAt: Date, sha256: string): Promise<void>;
  /** Removes the committed uploads of the task whose bytes were at `objectKey` (a file replaced there). */
  removeCommittedUploadsAt(taskId: string, objectKey: string): Promise<void>;
  /** Up to `limit` uncommitted uploads that expired before `expiredBefore`, soonest expired first; not those in `skipping`. */
  expiredUploads(expiredBefore: Date, skipping: readonly string[], limit: number): Promise<UploadRecord[]>;
  /** Removes the upload if it is still uncommitted and expired before `expiredBefore`; whether it did. */
  removeExpiredUpload(uploadId: string, expiredBefore: Date): Promise<boolean>;
}
