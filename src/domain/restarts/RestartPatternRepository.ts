/** Restart patterns of networks, and how often each has sent a task back. */
export interface RestartPatternRepository {
}
