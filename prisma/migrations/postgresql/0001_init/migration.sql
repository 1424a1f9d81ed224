-- CreateTable
CREATE TABLE "api_token" (
    "id" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "hash" BYTEA NOT NULL,
    "scopes" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" SERIAL NOT NULL,
    "service" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "detail" TEXT,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "service_secret" (
    "service" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "service_secret_pkey" PRIMARY KEY ("service","name")
);

-- CreateTable
CREATE TABLE "mfg_voucher" (
    "id" SERIAL NOT NULL,
    "guid" TEXT NOT NULL,
    "serial_number" TEXT NOT NULL,
    "device_info" TEXT NOT NULL,
    "tag" TEXT,
    "device_key_type" INTEGER NOT NULL,
    "device_cert_sha256" TEXT NOT NULL,
    "voucher" BYTEA NOT NULL,
    "entry_count" INTEGER NOT NULL,
    "owner_key_sha256" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "extended_at" TIMESTAMP(3),

    CONSTRAINT "mfg_voucher_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mfg_di_session" (
    "id" TEXT NOT NULL,
    "header" BYTEA NOT NULL,
    "cert_chain" BYTEA,
    "serial_number" TEXT NOT NULL,
    "device_key_type" INTEGER NOT NULL,
    "tag" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "mfg_di_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "owner_voucher" (
    "id" SERIAL NOT NULL,
    "guid" TEXT NOT NULL,
    "voucher" BYTEA NOT NULL,
    "device_info" TEXT NOT NULL,
    "owner_key_sha256" TEXT NOT NULL,
    "manufacturer_key_sha256" TEXT NOT NULL,
    "entry_count" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "state_at" TIMESTAMP(3) NOT NULL,
    "imported_at" TIMESTAMP(3) NOT NULL,
    "registered_until" TIMESTAMP(3),
    "to2_started_at" TIMESTAMP(3),
    "onboarded_at" TIMESTAMP(3),
    "failed_at" TIMESTAMP(3),
    "failed_step" TEXT,
    "failed_reason" TEXT,
    "device_os" TEXT,
    "device_arch" TEXT,
    "device_version" TEXT,
    "device_serial" TEXT,
    "credential_reuse" BOOLEAN NOT NULL DEFAULT false,
    "previous_guid" TEXT,
    "previous_voucher" BYTEA,
    "transferred_at" TIMESTAMP(3),
    "transferred_to" TEXT,
    "profile" TEXT,
    "onboarded_profile" TEXT,
    "service_info" TEXT,

    CONSTRAINT "owner_voucher_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "owner_voucher_tag" (
    "voucher_id" INTEGER NOT NULL,
    "tag" TEXT NOT NULL,

    CONSTRAINT "owner_voucher_tag_pkey" PRIMARY KEY ("voucher_id","tag")
);

-- CreateTable
CREATE TABLE "owner_device_event" (
    "id" SERIAL NOT NULL,
    "guid" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "step" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "message" TEXT,

    CONSTRAINT "owner_device_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "owner_rv_registration" (
    "id" SERIAL NOT NULL,
    "voucher_id" INTEGER NOT NULL,
    "rv_url" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "next_attempt_at" TIMESTAMP(3) NOT NULL,
    "registered_at" TIMESTAMP(3),
    "registered_until" TIMESTAMP(3),
    "wait_seconds" INTEGER,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "last_attempt_at" TIMESTAMP(3),
    "last_error" TEXT,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "owner_rv_registration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "owner_to2_session" (
    "id" TEXT NOT NULL,
    "guid" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "state" BYTEA,
    "created_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "owner_to2_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "owner_certificate" (
    "serial" TEXT NOT NULL,
    "voucher_id" INTEGER NOT NULL,
    "guid" TEXT NOT NULL,
    "profile" TEXT,
    "subject" TEXT NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL,
    "not_after" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),
    "revoked_reason" TEXT,

    CONSTRAINT "owner_certificate_pkey" PRIMARY KEY ("serial")
);

-- CreateTable
CREATE TABLE "rv_registration" (
    "guid" TEXT NOT NULL,
    "to1d" BYTEA NOT NULL,
    "device_key" BYTEA NOT NULL,
    "owner_key_fingerprint" TEXT NOT NULL,
    "voucher_header_hash" BYTEA NOT NULL,
    "voucher_entry_hash" BYTEA NOT NULL,
    "wait_seconds" INTEGER NOT NULL,
    "registered_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "rv_registration_pkey" PRIMARY KEY ("guid")
);

-- CreateTable
CREATE TABLE "rv_used_nonce" (
    "nonce" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "rv_used_nonce_pkey" PRIMARY KEY ("nonce")
);

-- CreateTable
CREATE TABLE "rv_trusted_key" (
    "list" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "public_key" BYTEA NOT NULL,
    "label" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rv_trusted_key_pkey" PRIMARY KEY ("list","fingerprint")
);

-- CreateTable
CREATE TABLE "rv_denied_guid" (
    "guid" TEXT NOT NULL,
    "reason" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rv_denied_guid_pkey" PRIMARY KEY ("guid")
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

-- AddForeignKey
ALTER TABLE "owner_voucher_tag" ADD CONSTRAINT "owner_voucher_tag_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "owner_voucher"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "owner_rv_registration" ADD CONSTRAINT "owner_rv_registration_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "owner_voucher"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "owner_certificate" ADD CONSTRAINT "owner_certificate_voucher_id_fkey" FOREIGN KEY ("voucher_id") REFERENCES "owner_voucher"("id") ON DELETE CASCADE ON UPDATE CASCADE;

