-- CreateEnum
CREATE TYPE "AttemptEnding" AS ENUM ('FINISHED', 'FAILED', 'EXPIRED', 'DEREGISTERED', 'RELEASED');

-- AlterTable
ALTER TABLE "Claim" ADD COLUMN     "ending" "AttemptEnding",
ADD COLUMN     "startedUnits" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "ComputeService" ADD COLUMN     "host" TEXT;

-- Claims that ended before endings were recorded: how they ended, from the reason they were released with.
UPDATE "Claim" SET "ending" = CASE
    WHEN "releaseReason" = 'finished' THEN 'FINISHED'
    WHEN "releaseReason" IN ('finished with failure', 'the ProtocolDAG could not be built') THEN 'FAILED'
    WHEN "releaseReason" = 'compute service expired' THEN 'EXPIRED'
    WHEN "releaseReason" = 'compute service deregistered' THEN 'DEREGISTERED'
    ELSE 'RELEASED' END::"AttemptEnding"
 WHERE "releasedAt" IS NOT NULL;
