\timing on
select count(*) filter (where status='WAITING') waiting, count(*) filter (where status='RUNNING') running from "Task";
select id as hub from "TaskHub" limit 1 \gset
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
    SELECT h.id::text AS "hubId", h.weight, s.org, s.campaign, s.project
      FROM "TaskHub" h
      JOIN "AlchemicalNetwork" n ON n.id = h."networkId"
      JOIN "Scope" s ON s.id = n."scopeId"
      CROSS JOIN LATERAL (
         SELECT 1 FROM "TaskAction" a
           JOIN "Task" t ON t.id = a."taskId"
           JOIN "Transformation" tf ON tf.id = t."transformationId"
           LEFT JOIN "Task" parent ON parent.id = t."extendsId"
          WHERE a."hubId" = h.id AND t.status = 'WAITING'
            AND tf.protocol = ANY('{bench-noop}'::text[])
            AND (t."extendsId" IS NULL OR parent.status = 'COMPLETE')
          LIMIT 1) claimable
     WHERE h.weight > 0;
begin;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
    SELECT t.id, t.fence, t.priority, t."createdAt"
      FROM "TaskAction" a
      JOIN "Task" t ON t.id = a."taskId"
      JOIN "Transformation" tf ON tf.id = t."transformationId"
      LEFT JOIN "Task" parent ON parent.id = t."extendsId"
     WHERE a."hubId" = :'hub'::uuid
       AND t.status = 'WAITING'
       AND tf.protocol = ANY('{bench-noop}'::text[])
       AND (t."extendsId" IS NULL OR parent.status = 'COMPLETE')
     ORDER BY t.priority, t."createdAt", t.id
     LIMIT 1
       FOR UPDATE OF t SKIP LOCKED;
rollback;
