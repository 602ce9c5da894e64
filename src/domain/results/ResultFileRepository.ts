/** ResultFiles, and the uploads that become them. */
export interface ResultFileRepository {
}
