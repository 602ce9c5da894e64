/** Identities, their scope patterns and tokens (stored as SHA-256 only), and the revocation log. */
export interface IdentityRepository {
}
