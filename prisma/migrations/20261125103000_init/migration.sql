-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "IdentityKind" AS ENUM ('USER', 'COMPUTE');

-- CreateEnum
CREATE TYPE "TaskStatus" AS ENUM ('WAITING', 'RUNNING', 'COMPLETE', 'ERROR', 'INVALID', 'DELETED');

-- CreateTable
CREATE TABLE "Scope" (
    "id" UUID NOT NULL,
    "org" TEXT NOT NULL,
    "campaign" TEXT NOT NULL,
    "project" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Scope_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Identity" (
    "id" UUID NOT NULL,
    "kind" "IdentityKind" NOT NULL,
    "name" TEXT NOT NULL,
    "isAdmin" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabledAt" TIMESTAMP(3),

    CONSTRAINT "Identity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IdentityScope" (
    "identityId" UUID NOT NULL,
    "org" TEXT NOT NULL,
    "campaign" TEXT NOT NULL,
    "project" TEXT NOT NULL,

    CONSTRAINT "IdentityScope_pkey" PRIMARY KEY ("identityId","org","campaign","project")
);

-- CreateTable
CREATE TABLE "IdentityToken" (
    "id" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "label" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "IdentityToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlchemicalNetwork" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "scopeId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AlchemicalNetwork_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChemicalSystem" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "scopeId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "components" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChemicalSystem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NetworkNode" (
    "networkId" UUID NOT NULL,
    "chemicalSystemId" UUID NOT NULL,

    CONSTRAINT "NetworkNode_pkey" PRIMARY KEY ("networkId","chemicalSystemId")
);

-- CreateTable
CREATE TABLE "Transformation" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "scopeId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "stateAId" UUID NOT NULL,
    "stateBId" UUID NOT NULL,
    "protocol" TEXT NOT NULL,
    "settings" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Transformation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NetworkEdge" (
    "networkId" UUID NOT NULL,
    "transformationId" UUID NOT NULL,

    CONSTRAINT "NetworkEdge_pkey" PRIMARY KEY ("networkId","transformationId")
);

-- CreateTable
CREATE TABLE "TaskHub" (
    "id" UUID NOT NULL,
    "networkId" UUID NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL DEFAULT 0.5,

    CONSTRAINT "TaskHub_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Task" (
    "id" UUID NOT NULL,
    "scopeId" UUID NOT NULL,
    "transformationId" UUID NOT NULL,
    "status" "TaskStatus" NOT NULL DEFAULT 'WAITING',
    "priority" INTEGER NOT NULL DEFAULT 10,
    "extendsId" UUID,
    "creatorId" UUID,
    "fence" BIGINT NOT NULL DEFAULT 0,
    "currentClaimId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskAction" (
    "hubId" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "actionedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskAction_pkey" PRIMARY KEY ("hubId","taskId")
);

-- CreateTable
CREATE TABLE "ProtocolDag" (
    "id" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "objectKey" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "registeredBy" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProtocolDag_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProtocolUnit" (
    "dagId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "dependencies" TEXT[],
    "inputs" JSONB,

    CONSTRAINT "ProtocolUnit_pkey" PRIMARY KEY ("dagId","key")
);

-- CreateTable
CREATE TABLE "ComputeService" (
    "id" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "registeredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastHeartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deregisteredAt" TIMESTAMP(3),
    "expiredAt" TIMESTAMP(3),

    CONSTRAINT "ComputeService_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Claim" (
    "id" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "computeServiceId" UUID NOT NULL,
    "fence" BIGINT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "claimedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "releasedAt" TIMESTAMP(3),
    "releaseReason" TEXT,

    CONSTRAINT "Claim_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UnitResult" (
    "id" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "unitKey" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "objectKey" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "logKey" TEXT,
    "exception" TEXT,
    "traceback" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3) NOT NULL,
    "claimId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UnitResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ResultFile" (
    "id" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "unitKey" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "claimId" UUID NOT NULL,
    "committedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ResultFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ResultFileUpload" (
    "id" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "claimId" UUID NOT NULL,
    "unitKey" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "uploadId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ResultFileUpload_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProtocolDagResult" (
    "id" UUID NOT NULL,
    "taskId" UUID NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "successfulTaskId" UUID,
    "objectKey" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "claimId" UUID,
    "computeServiceId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProtocolDagResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RestartPattern" (
    "id" UUID NOT NULL,
    "networkId" UUID NOT NULL,
    "pattern" TEXT NOT NULL,
    "maxRetries" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RestartPattern_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskRestartCount" (
    "taskId" UUID NOT NULL,
    "patternId" UUID NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "TaskRestartCount_pkey" PRIMARY KEY ("taskId","patternId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Scope_org_campaign_project_key" ON "Scope"("org", "campaign", "project");

-- CreateIndex
CREATE UNIQUE INDEX "Identity_kind_name_key" ON "Identity"("kind", "name");

-- CreateIndex
CREATE UNIQUE INDEX "IdentityToken_tokenHash_key" ON "IdentityToken"("tokenHash");

-- CreateIndex
CREATE INDEX "IdentityToken_identityId_idx" ON "IdentityToken"("identityId");

-- CreateIndex
CREATE UNIQUE INDEX "AlchemicalNetwork_scopeId_key_key" ON "AlchemicalNetwork"("scopeId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "ChemicalSystem_scopeId_key_key" ON "ChemicalSystem"("scopeId", "key");

-- CreateIndex
CREATE INDEX "NetworkNode_chemicalSystemId_idx" ON "NetworkNode"("chemicalSystemId");

-- CreateIndex
CREATE INDEX "Transformation_protocol_idx" ON "Transformation"("protocol");

-- CreateIndex
CREATE UNIQUE INDEX "Transformation_scopeId_key_key" ON "Transformation"("scopeId", "key");

-- CreateIndex
CREATE INDEX "NetworkEdge_transformationId_idx" ON "NetworkEdge"("transformationId");

-- CreateIndex
CREATE UNIQUE INDEX "TaskHub_networkId_key" ON "TaskHub"("networkId");

-- CreateIndex
CREATE UNIQUE INDEX "Task_currentClaimId_key" ON "Task"("currentClaimId");

-- CreateIndex
CREATE INDEX "Task_scopeId_status_idx" ON "Task"("scopeId", "status");

-- CreateIndex
CREATE INDEX "Task_transformationId_idx" ON "Task"("transformationId");

-- CreateIndex
CREATE INDEX "Task_extendsId_idx" ON "Task"("extendsId");

-- CreateIndex
CREATE INDEX "Task_status_priority_createdAt_idx" ON "Task"("status", "priority", "createdAt");

-- CreateIndex
CREATE INDEX "TaskAction_taskId_idx" ON "TaskAction"("taskId");

-- CreateIndex
CREATE UNIQUE INDEX "ProtocolDag_taskId_key" ON "ProtocolDag"("taskId");

-- CreateIndex
CREATE INDEX "ComputeService_identityId_idx" ON "ComputeService"("identityId");

-- CreateIndex
CREATE INDEX "ComputeService_lastHeartbeatAt_idx" ON "ComputeService"("lastHeartbeatAt");

-- CreateIndex
CREATE UNIQUE INDEX "Claim_tokenHash_key" ON "Claim"("tokenHash");

-- CreateIndex
CREATE INDEX "Claim_taskId_idx" ON "Claim"("taskId");

-- CreateIndex
CREATE INDEX "Claim_computeServiceId_releasedAt_idx" ON "Claim"("computeServiceId", "releasedAt");

-- CreateIndex
CREATE INDEX "UnitResult_taskId_ok_idx" ON "UnitResult"("taskId", "ok");

-- CreateIndex
CREATE UNIQUE INDEX "UnitResult_taskId_unitKey_attempt_key" ON "UnitResult"("taskId", "unitKey", "attempt");

-- CreateIndex
CREATE UNIQUE INDEX "ResultFile_taskId_unitKey_path_key" ON "ResultFile"("taskId", "unitKey", "path");

-- CreateIndex
CREATE INDEX "ResultFileUpload_taskId_idx" ON "ResultFileUpload"("taskId");

-- CreateIndex
CREATE INDEX "ResultFileUpload_expiresAt_idx" ON "ResultFileUpload"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "ProtocolDagResult_successfulTaskId_key" ON "ProtocolDagResult"("successfulTaskId");

-- CreateIndex
CREATE INDEX "ProtocolDagResult_taskId_idx" ON "ProtocolDagResult"("taskId");

-- CreateIndex
CREATE INDEX "ProtocolDagResult_computeServiceId_ok_createdAt_idx" ON "ProtocolDagResult"("computeServiceId", "ok", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "RestartPattern_networkId_pattern_key" ON "RestartPattern"("networkId", "pattern");

-- CreateIndex
CREATE INDEX "TaskRestartCount_patternId_idx" ON "TaskRestartCount"("patternId");

-- AddForeignKey
ALTER TABLE "IdentityScope" ADD CONSTRAINT "IdentityScope_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IdentityToken" ADD CONSTRAINT "IdentityToken_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlchemicalNetwork" ADD CONSTRAINT "AlchemicalNetwork_scopeId_fkey" FOREIGN KEY ("scopeId") REFERENCES "Scope"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChemicalSystem" ADD CONSTRAINT "ChemicalSystem_scopeId_fkey" FOREIGN KEY ("scopeId") REFERENCES "Scope"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NetworkNode" ADD CONSTRAINT "NetworkNode_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "AlchemicalNetwork"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NetworkNode" ADD CONSTRAINT "NetworkNode_chemicalSystemId_fkey" FOREIGN KEY ("chemicalSystemId") REFERENCES "ChemicalSystem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Transformation" ADD CONSTRAINT "Transformation_scopeId_fkey" FOREIGN KEY ("scopeId") REFERENCES "Scope"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Transformation" ADD CONSTRAINT "Transformation_stateAId_fkey" FOREIGN KEY ("stateAId") REFERENCES "ChemicalSystem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Transformation" ADD CONSTRAINT "Transformation_stateBId_fkey" FOREIGN KEY ("stateBId") REFERENCES "ChemicalSystem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NetworkEdge" ADD CONSTRAINT "NetworkEdge_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "AlchemicalNetwork"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NetworkEdge" ADD CONSTRAINT "NetworkEdge_transformationId_fkey" FOREIGN KEY ("transformationId") REFERENCES "Transformation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskHub" ADD CONSTRAINT "TaskHub_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "AlchemicalNetwork"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Task" ADD CONSTRAINT "Task_scopeId_fkey" FOREIGN KEY ("scopeId") REFERENCES "Scope"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Task" ADD CONSTRAINT "Task_transformationId_fkey" FOREIGN KEY ("transformationId") REFERENCES "Transformation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Task" ADD CONSTRAINT "Task_extendsId_fkey" FOREIGN KEY ("extendsId") REFERENCES "Task"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Task" ADD CONSTRAINT "Task_currentClaimId_fkey" FOREIGN KEY ("currentClaimId") REFERENCES "Claim"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskAction" ADD CONSTRAINT "TaskAction_hubId_fkey" FOREIGN KEY ("hubId") REFERENCES "TaskHub"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskAction" ADD CONSTRAINT "TaskAction_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProtocolDag" ADD CONSTRAINT "ProtocolDag_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProtocolUnit" ADD CONSTRAINT "ProtocolUnit_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "ProtocolDag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ComputeService" ADD CONSTRAINT "ComputeService_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Claim" ADD CONSTRAINT "Claim_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Claim" ADD CONSTRAINT "Claim_computeServiceId_fkey" FOREIGN KEY ("computeServiceId") REFERENCES "ComputeService"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UnitResult" ADD CONSTRAINT "UnitResult_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UnitResult" ADD CONSTRAINT "UnitResult_claimId_fkey" FOREIGN KEY ("claimId") REFERENCES "Claim"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ResultFile" ADD CONSTRAINT "ResultFile_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ResultFile" ADD CONSTRAINT "ResultFile_claimId_fkey" FOREIGN KEY ("claimId") REFERENCES "Claim"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ResultFileUpload" ADD CONSTRAINT "ResultFileUpload_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ResultFileUpload" ADD CONSTRAINT "ResultFileUpload_claimId_fkey" FOREIGN KEY ("claimId") REFERENCES "Claim"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProtocolDagResult" ADD CONSTRAINT "ProtocolDagResult_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProtocolDagResult" ADD CONSTRAINT "ProtocolDagResult_claimId_fkey" FOREIGN KEY ("claimId") REFERENCES "Claim"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProtocolDagResult" ADD CONSTRAINT "ProtocolDagResult_computeServiceId_fkey" FOREIGN KEY ("computeServiceId") REFERENCES "ComputeService"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RestartPattern" ADD CONSTRAINT "RestartPattern_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "AlchemicalNetwork"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskRestartCount" ADD CONSTRAINT "TaskRestartCount_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskRestartCount" ADD CONSTRAINT "TaskRestartCount_patternId_fkey" FOREIGN KEY ("patternId") REFERENCES "RestartPattern"("id") ON DELETE CASCADE ON UPDATE CASCADE;
