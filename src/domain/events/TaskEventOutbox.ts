/** The task event outbox: appended by the transaction that makes a change, read in commit order by every replica. */
export interface TaskEventOutbox {
}
