-- CreateTable
CREATE TABLE "api_token" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "service" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "hash" BLOB NOT NULL,
    "scopes" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" DATETIME,
    "revoked_at" DATETIME
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "service" TEXT NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "detail" TEXT
);

-- CreateTable
CREATE TABLE "service_secret" (
    "service" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" BLOB NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("service", "name")
);

-- CreateTable
CREATE TABLE "mfg_voucher" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "guid" TEXT NOT NULL,
    "serial_number" TEXT NOT NULL,
    "device_info" TEXT NOT NULL,
    "tag" TEXT,
    "device_key_type" INTEGER NOT NULL,
    "device_cert_sha256" TEXT NOT NULL,
    "voucher" BLOB NOT NULL,
    "entry_count" INTEGER NOT NULL,
    "owner_key_sha256" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "extended_at" DATETIME
);

-- CreateTable
CREATE TABLE "mfg_di_session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "header" BLOB NOT NULL,
    "cert_chain" BLOB,
    "serial_number" TEXT NOT NULL,
    "device_key_type" INTEGER NOT NULL,
    "tag" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "api_token_hash_key" ON "api_token"("hash");

-- CreateIndex
CREATE INDEX "api_token_service_idx" ON "api_token"("service");

-- CreateIndex
CREATE INDEX "audit_event_service_at_idx" ON "audit_event"("service", "at");

-- CreateIndex
CREATE UNIQUE INDEX "mfg_voucher_guid_key" ON "mfg_voucher"("guid");

-- CreateIndex
CREATE INDEX "mfg_voucher_serial_number_idx" ON "mfg_voucher"("serial_number");

-- CreateIndex
CREATE INDEX "mfg_voucher_tag_id_idx" ON "mfg_voucher"("tag", "id");

-- CreateIndex
CREATE INDEX "mfg_voucher_created_at_idx" ON "mfg_voucher"("created_at");

-- CreateIndex
CREATE INDEX "mfg_di_session_expires_at_idx" ON "mfg_di_session"("expires_at");

