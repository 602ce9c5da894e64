-- AlterTable
ALTER TABLE "ResultFileUpload" ADD COLUMN     "partSize" BIGINT,
ADD COLUMN     "stagingKey" TEXT;
