/** Refs of unit results (the documents live in the object store). */
export interface UnitResultRepository {
}
