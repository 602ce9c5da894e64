-- CreateEnum
CREATE TYPE "NetworkState" AS ENUM ('ACTIVE', 'INACTIVE', 'DELETED');

-- AlterTable
ALTER TABLE "AlchemicalNetwork" ADD COLUMN     "state" "NetworkState" NOT NULL DEFAULT 'ACTIVE';
