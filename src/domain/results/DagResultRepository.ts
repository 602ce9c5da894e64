/** Refs of ProtocolDAGResults (the documents live in the object store). */
export interface DagResultRepository {
}
