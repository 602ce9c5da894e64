import type { Scope } from '../scope.js';

/** How stored or sent bytes are encoded. */
export type ContentEncoding = 'IDENTITY' | 'GZIP';

/** An input object: content stored once per scope (docs/inputs.md). */
export interface InputObjectRecord {
  id: string;
  scope: Scope;
  /** SHA-256 of the content (decoded). */
  sha256: string;
  /** Bytes of content (decoded). */
  size: number;
  /** How the stored bytes are encoded. */
  encoding: ContentEncoding;
  storedSize: number;
  objectKey: string;
  /** The client's keys for it, in the order they were given. */
  keys: string[];
  createdAt: Date;
}

export type NewInputObject = Omit<InputObjectRecord, 'id' | 'keys' | 'createdAt'>;

/** An upload of an input object, until its commit stores the object (or the sweeper removes it). */
export interface InputUploadRecord {
  id: string;
  scope: Scope;
  /** Who opened it: only they may continue or commit it. */
  identityId: string;
  sha256: string;
  /** Bytes of content (decoded). */
  size: number;
  /** How the bytes sent are encoded. */
  encoding: ContentEncoding;
  /** Bytes sent when GZIP; null for IDENTITY (`size` bytes are sent). */
  encodedSize: number | null;
  /** The client's key to attach to the object at commit. */
  key: string | null;
  /** Where the sent bytes are assembled and verified. */
  objectKey: string;
  /** The object store's multipart upload; null for a single PUT. */
  uploadId: string | null;
  partSize: number | null;
  /** Single-PUT uploads: the key the URL writes, moved to objectKey at commit. */
  stagingKey: string | null;
  expiresAt: Date;
  committedAt: Date | null;
}

export type NewInputUpload = Omit<InputUploadRecord, 'committedAt'>;

/** The references of a submission, SHA-256 ones and key ones apart (see inputReferences.ts). */
export interface ReferenceSet {
  sha256s: readonly string[];
  keys: readonly string[];
}

/** Input objects, their client keys and their uploads. Every lookup is within one scope. */
export interface InputObjectRepository {
  /** The scope's objects that these SHA-256s or keys name, each once, with all their keys; one query. */
  find(scope: Scope, references: ReferenceSet): Promise<InputObjectRecord[]>;
  /**
   * Records the object unless the scope holds its content already; whether this call recorded it. Inside a
   * transaction, a concurrent recording of the same content waits for this one's end (unique per scope).
   */
  insertObject(object: NewInputObject): Promise<boolean>;
  /**
   * Gives the key to the scope's object with this content unless the key names an object already; the
   * SHA-256 of the object the key names afterwards (another than `sha256` when it was taken).
   */
  attachKey(scope: Scope, key: string, sha256: string): Promise<string>;

  openUpload(upload: NewInputUpload): Promise<InputUploadRecord>;
  upload(id: string): Promise<InputUploadRecord | null>;
  /** Moves an uncommitted upload's expiry on; false when it is committed or gone. */
  extendUpload(id: string, expiresAt: Date): Promise<boolean>;
  markCommitted(id: string, committedAt: Date): Promise<void>;
  removeUploads(ids: readonly string[]): Promise<void>;
  /** Up to `limit` uploads, committed or not, whose URLs expired before `expiredBefore`. */
  expiredUploads(expiredBefore: Date, limit: number): Promise<InputUploadRecord[]>;
}
