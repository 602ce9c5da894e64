/** Alchemical networks, their chemical systems and transformations, and each network's task hub. */
export interface NetworkRepository {
}
