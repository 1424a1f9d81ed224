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

-- CreateTable
CREATE TABLE "rv_registration" (
    "guid" TEXT NOT NULL PRIMARY KEY,
    "to1d" BLOB NOT NULL,
    "device_key" BLOB NOT NULL,
    "owner_key_fingerprint" TEXT NOT NULL,
    "voucher_header_hash" BLOB NOT NULL,
    "voucher_entry_hash" BLOB NOT NULL,
    "wait_seconds" INTEGER NOT NULL,
    "registered_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "rv_used_nonce" (
    "nonce" TEXT NOT NULL PRIMARY KEY,
    "expires_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "rv_trusted_key" (
    "list" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "public_key" BLOB NOT NULL,
    "label" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("list", "fingerprint")
);

-- CreateTable
CREATE TABLE "rv_denied_guid" (
    "guid" TEXT NOT NULL PRIMARY KEY,
    "reason" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
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

-- CreateIndex
CREATE INDEX "rv_registration_expires_at_idx" ON "rv_registration"("expires_at");

-- CreateIndex
CREATE INDEX "rv_registration_owner_key_fingerprint_idx" ON "rv_registration"("owner_key_fingerprint");

-- CreateIndex
CREATE INDEX "rv_used_nonce_expires_at_idx" ON "rv_used_nonce"("expires_at");

