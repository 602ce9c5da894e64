-- CreateTable
CREATE TABLE "TaskEvent" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "taskId" UUID NOT NULL,
    "scope" TEXT NOT NULL,
    "transformationKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskEventRetention" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "prunedThroughId" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "TaskEventRetention_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TaskEvent_taskId_id_idx" ON "TaskEvent"("taskId", "id");

-- CreateIndex
CREATE INDEX "TaskEvent_createdAt_idx" ON "TaskEvent"("createdAt");

-- The retention marker is one row from the start, so pruning only ever updates it.
INSERT INTO "TaskEventRetention" ("id", "prunedThroughId") VALUES (1, 0);
