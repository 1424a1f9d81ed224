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
CREATE TABLE "owner_voucher" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "guid" TEXT NOT NULL,
    "voucher" BLOB NOT NULL,
    "device_info" TEXT NOT NULL,
    "owner_key_sha256" TEXT NOT NULL,
    "manufacturer_key_sha256" TEXT NOT NULL,
    "entry_count" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "state_at" DATETIME NOT NULL,
    "imported_at" DATETIME NOT NULL,
    "registered_until" DATETIME,
    "to2_started_at" DATETIME,
    "onboarded_at" DATETIME,
    "failed_at" DATETIME,
    "failed_step" TEXT,
    "failed_reason" TEXT,
    "device_os" TEXT,
    "device_arch" TEXT,
    "device_version" TEXT,
    "device_serial" TEXT,
    "credential_reuse" BOOLEAN NOT NULL DEFAULT false,
    "previous_guid" TEXT,
    "previous_voucher" BLOB,
    "transferred_at" DATETIME,
    "transferred_to" TEXT,
    "profile" TEXT,
    "onboarded_profile" TEXT,
    "service_info" TEXT
);

-- CreateTable
CREATE TABLE "owner_voucher_tag" (
    "voucher_id" INTEGER NOT NULL,
    "tag" TEXT NOT NULL,

    PRIMARY KEY ("voucher_id", "tag"),
    CONSTRAINT "owner_voucher_tag_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "owner_voucher" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "owner_device_event" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "guid" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "step" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "message" TEXT
);

-- CreateTable
CREATE TABLE "owner_rv_registration" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "voucher_id" INTEGER NOT NULL,
    "rv_url" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "next_attempt_at" DATETIME NOT NULL,
    "registered_at" DATETIME,
    "registered_until" DATETIME,
    "wait_seconds" INTEGER,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "last_attempt_at" DATETIME,
    "last_error" TEXT,
    "lease_owner" TEXT,
    "lease_until" DATETIME NOT NULL,
    CONSTRAINT "owner_rv_registration_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "owner_voucher" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "owner_to2_session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "guid" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "state" BLOB,
    "created_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "owner_certificate" (
    "serial" TEXT NOT NULL PRIMARY KEY,
    "voucher_id" INTEGER NOT NULL,
    "guid" TEXT NOT NULL,
    "profile" TEXT,
    "subject" TEXT NOT NULL,
    "issued_at" DATETIME NOT NULL,
    "not_after" DATETIME NOT NULL,
    "revoked_at" DATETIME,
    "revoked_reason" TEXT,
    CONSTRAINT "owner_certificate_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "owner_voucher" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
CREATE UNIQUE INDEX "owner_voucher_guid_key" ON "owner_voucher"("guid");

-- CreateIndex
CREATE UNIQUE INDEX "owner_voucher_previous_guid_key" ON "owner_voucher"("previous_guid");

-- CreateIndex
CREATE INDEX "owner_voucher_state_id_idx" ON "owner_voucher"("state", "id");

-- CreateIndex
CREATE INDEX "owner_voucher_profile_idx" ON "owner_voucher"("profile");

-- CreateIndex
CREATE INDEX "owner_voucher_onboarded_profile_idx" ON "owner_voucher"("onboarded_profile");

-- CreateIndex
CREATE INDEX "owner_voucher_imported_at_idx" ON "owner_voucher"("imported_at");

-- CreateIndex
CREATE INDEX "owner_voucher_tag_tag_voucher_id_idx" ON "owner_voucher_tag"("tag", "voucher_id");

-- CreateIndex
CREATE INDEX "owner_device_event_guid_id_idx" ON "owner_device_event"("guid", "id");

-- CreateIndex
CREATE INDEX "owner_rv_registration_next_attempt_at_idx" ON "owner_rv_registration"("next_attempt_at");

-- CreateIndex
CREATE INDEX "owner_rv_registration_rv_url_state_idx" ON "owner_rv_registration"("rv_url", "state");

-- CreateIndex
CREATE UNIQUE INDEX "owner_rv_registration_voucher_id_rv_url_key" ON "owner_rv_registration"("voucher_id", "rv_url");

-- CreateIndex
CREATE INDEX "owner_certificate_voucher_id_revoked_at_idx" ON "owner_certificate"("voucher_id", "revoked_at");

-- CreateIndex
CREATE INDEX "owner_certificate_revoked_at_idx" ON "owner_certificate"("revoked_at");

-- CreateIndex
CREATE INDEX "rv_registration_expires_at_idx" ON "rv_registration"("expires_at");

-- CreateIndex
CREATE INDEX "rv_registration_owner_key_fingerprint_idx" ON "rv_registration"("owner_key_fingerprint");

-- CreateIndex
CREATE INDEX "rv_used_nonce_expires_at_idx" ON "rv_used_nonce"("expires_at");

