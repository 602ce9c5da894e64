-- AlterTable
ALTER TABLE "NetworkNode" ADD COLUMN     "position" INTEGER NOT NULL DEFAULT 0;

-- Networks stored before positions existed keep the order they were listed in: by name.
UPDATE "NetworkNode" n SET "position" = ordered.position
  FROM (SELECT nn."networkId", nn."chemicalSystemId",
               (row_number() OVER (PARTITION BY nn."networkId" ORDER BY cs.name) - 1)::int AS position
          FROM "NetworkNode" nn JOIN "ChemicalSystem" cs ON cs.id = nn."chemicalSystemId") ordered
 WHERE n."networkId" = ordered."networkId" AND n."chemicalSystemId" = ordered."chemicalSystemId";

-- AlterTable
ALTER TABLE "ProtocolDagResult" ADD COLUMN     "estimateUncertainty" DOUBLE PRECISION,
ADD COLUMN     "estimateUnit" TEXT,
ADD COLUMN     "estimateValue" DOUBLE PRECISION;

-- AlterTable: tasks created before seeds existed get 0 (their DAGs were built without a task seed).
ALTER TABLE "Task" ADD COLUMN     "seed" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "Task" ALTER COLUMN "seed" DROP DEFAULT;
