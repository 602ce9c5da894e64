/** The one ProtocolDAG each task ever gets, and its units. */
export interface DagRepository {
}
