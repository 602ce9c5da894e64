-- DropIndex
DROP INDEX "Task_status_priority_createdAt_idx";

-- CreateIndex
CREATE INDEX "Task_status_priority_createdAt_id_idx" ON "Task"("status", "priority", "createdAt", "id");
