-- AlterTable
ALTER TABLE "TaskHub" ADD COLUMN     "slot" SERIAL NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "TaskHub_slot_key" ON "TaskHub"("slot");

-- CreateIndex
CREATE INDEX "TaskHub_weight_idx" ON "TaskHub"("weight");
