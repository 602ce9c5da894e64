-- CreateTable
CREATE TABLE "Revocation" (
    "id" BIGSERIAL NOT NULL,
    "tokenId" UUID,
    "identityId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Revocation_pkey" PRIMARY KEY ("id")
);
