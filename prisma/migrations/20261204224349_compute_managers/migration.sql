-- CreateTable
CREATE TABLE "ComputeManager" (
    "id" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "host" TEXT,
    "registeredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastHeartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deregisteredAt" TIMESTAMP(3),

    CONSTRAINT "ComputeManager_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ComputeManagerJob" (
    "managerId" UUID NOT NULL,
    "jobId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "reason" TEXT,
    "submittedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ComputeManagerJob_pkey" PRIMARY KEY ("managerId","jobId")
);

-- CreateIndex
CREATE INDEX "ComputeManager_identityId_idx" ON "ComputeManager"("identityId");

-- AddForeignKey
ALTER TABLE "ComputeManager" ADD CONSTRAINT "ComputeManager_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ComputeManagerJob" ADD CONSTRAINT "ComputeManagerJob_managerId_fkey" FOREIGN KEY ("managerId") REFERENCES "ComputeManager"("id") ON DELETE CASCADE ON UPDATE CASCADE;
