-- AlterTable
ALTER TABLE "ResultFileUpload" ADD COLUMN     "committedAt" TIMESTAMP(3);
