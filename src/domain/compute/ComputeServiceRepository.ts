/** Compute services: registration, heartbeats, expiry and deregistration. */
export interface ComputeServiceRepository {
}
