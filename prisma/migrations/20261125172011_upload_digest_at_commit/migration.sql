-- AlterTable
ALTER TABLE "ResultFileUpload" ALTER COLUMN "sha256" DROP NOT NULL;
