-- CreateEnum
CREATE TYPE "ContentEncoding" AS ENUM ('IDENTITY', 'GZIP');

-- CreateTable
CREATE TABLE "InputObject" (
    "id" UUID NOT NULL,
    "scopeId" UUID NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "encoding" "ContentEncoding" NOT NULL,
    "storedSize" BIGINT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InputObject_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InputObjectKey" (
    "id" BIGSERIAL NOT NULL,
    "scopeId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "objectId" UUID NOT NULL,

    CONSTRAINT "InputObjectKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InputUpload" (
    "id" UUID NOT NULL,
    "scopeId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "encoding" "ContentEncoding" NOT NULL,
    "encodedSize" BIGINT,
    "key" TEXT,
    "objectKey" TEXT NOT NULL,
    "uploadId" TEXT,
    "partSize" BIGINT,
    "stagingKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "committedAt" TIMESTAMP(3),

    CONSTRAINT "InputUpload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InputObject_scopeId_sha256_key" ON "InputObject"("scopeId", "sha256");

-- CreateIndex
CREATE INDEX "InputObjectKey_objectId_idx" ON "InputObjectKey"("objectId");

-- CreateIndex
CREATE UNIQUE INDEX "InputObjectKey_scopeId_key_key" ON "InputObjectKey"("scopeId", "key");

-- CreateIndex
CREATE INDEX "InputUpload_expiresAt_idx" ON "InputUpload"("expiresAt");

-- AddForeignKey
ALTER TABLE "InputObjectKey" ADD CONSTRAINT "InputObjectKey_objectId_fkey" FOREIGN KEY ("objectId") REFERENCES "InputObject"("id") ON DELETE CASCADE ON UPDATE CASCADE;
