/** Tasks: creation, status (through applyStatusChange only), lineage, locks and hub actions. */
export interface TaskRepository {
}
