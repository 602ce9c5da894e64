-- AlterTable
ALTER TABLE "Claim" ADD COLUMN     "orphansSweptAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Claim_orphansSweptAt_releasedAt_idx" ON "Claim"("orphansSweptAt", "releasedAt");
