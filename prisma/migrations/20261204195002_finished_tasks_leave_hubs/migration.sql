-- A task that can never be claimed again is on no hub: COMPLETE tasks kept their TaskAction rows
-- before (INVALID and DELETED already left). ERROR tasks keep theirs here: a user may have actioned
-- one on purpose, to retry it with WAITING.
DELETE FROM "TaskAction" a
 USING "Task" t
 WHERE t.id = a."taskId"
   AND t.status IN ('COMPLETE', 'INVALID', 'DELETED');
