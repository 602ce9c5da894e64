-- AlterTable
ALTER TABLE "TaskAction" ADD COLUMN     "taskCreatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "taskPriority" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN     "taskWaiting" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "TaskAction_claim_order_idx" ON "TaskAction"("hubId", "taskPriority", "taskCreatedAt", "taskId") WHERE ("taskWaiting");


-- A hub's claim order lives on its actions: a claim reads the first waiting task of its hub from
-- TaskAction_claim_order_idx. Walking the Task table's own order instead passes over every waiting task
-- of every other hub that comes first, so a claim's cost grew with the whole queue.
--
-- The copies are kept by triggers, so that no writer of Task or TaskAction (SQL or Prisma) can forget
-- them. The function bodies are plain strings whose semicolons are written \x3B: the migration runner
-- (Prisma's pg adapter) cuts a script at every semicolon, dollar quotes or not.
--
-- A new action copies its task as the task is once it is free to read: the lock waits for a status
-- change in flight, which updates the task's other actions but cannot see this one. The task must be
-- in before its action, also within one statement (a foreign key would wait for the statement's end).
CREATE FUNCTION "taskAction_copies_its_task"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  SELECT t.status = ''WAITING'', t.priority, t."createdAt"
    INTO NEW."taskWaiting", NEW."taskPriority", NEW."taskCreatedAt"
    FROM "Task" t WHERE t.id = NEW."taskId"
     FOR SHARE\x3B
  IF NOT FOUND THEN
    RAISE EXCEPTION ''task % is actioned before it exists: insert a task before its actions'', NEW."taskId"
      USING ERRCODE = ''foreign_key_violation''\x3B
  END IF\x3B
  RETURN NEW\x3B
END';

CREATE TRIGGER "TaskAction_copies_its_task" BEFORE INSERT OR UPDATE OF "taskId" ON "TaskAction"
  FOR EACH ROW EXECUTE FUNCTION "taskAction_copies_its_task"();

-- A task that starts or stops waiting, or changes priority, moves in its hubs' claim order.
CREATE FUNCTION "task_moves_its_actions"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "TaskAction" SET "taskWaiting" = NEW.status = ''WAITING'', "taskPriority" = NEW.priority
   WHERE "taskId" = NEW.id\x3B
  RETURN NULL\x3B
END';

CREATE TRIGGER "Task_moves_its_actions" AFTER UPDATE OF status, priority ON "Task"
  FOR EACH ROW
  WHEN ((OLD.status = 'WAITING') IS DISTINCT FROM (NEW.status = 'WAITING') OR OLD.priority IS DISTINCT FROM NEW.priority)
  EXECUTE FUNCTION "task_moves_its_actions"();

UPDATE "TaskAction" a
   SET "taskWaiting" = t.status = 'WAITING', "taskPriority" = t.priority, "taskCreatedAt" = t."createdAt"
  FROM "Task" t
 WHERE t.id = a."taskId";
