-- AlterTable
ALTER TABLE "ProtocolDagResult" ADD COLUMN     "document" TEXT,
ALTER COLUMN "objectKey" DROP NOT NULL;

-- AlterTable
ALTER TABLE "UnitResult" ADD COLUMN     "document" TEXT,
ADD COLUMN     "log" TEXT,
ALTER COLUMN "objectKey" DROP NOT NULL;

