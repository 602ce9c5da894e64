-- AlterTable
ALTER TABLE "ComputeService" ADD COLUMN     "protocols" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "ProtocolDagResult" ADD COLUMN     "exception" TEXT,
ADD COLUMN     "traceback" TEXT;
