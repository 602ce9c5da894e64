/** Claims: the claim statement and its check-in, and the reads the claim fence decides on. */
export interface ClaimRepository {
}
