-- CreateTable
CREATE TABLE "TaskImport" (
    "taskId" UUID NOT NULL,
    "scopeId" UUID NOT NULL,
    "sourceTaskId" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "importedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskImport_pkey" PRIMARY KEY ("taskId")
);

-- CreateTable
CREATE TABLE "ImportUpload" (
    "id" UUID NOT NULL,
    "scopeId" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "uploadId" TEXT,
    "partSize" BIGINT,
    "stagingKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "committedAt" TIMESTAMP(3),

    CONSTRAINT "ImportUpload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TaskImport_scopeId_sourceTaskId_key" ON "TaskImport"("scopeId", "sourceTaskId");

-- CreateIndex
CREATE INDEX "ImportUpload_expiresAt_idx" ON "ImportUpload"("expiresAt");

-- AddForeignKey
ALTER TABLE "TaskImport" ADD CONSTRAINT "TaskImport_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;
