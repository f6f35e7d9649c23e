-- A Queue Kiosk database as schema version 1 wrote it (frozen: never edit to follow
-- the models; a shop's old file looks like this forever).
-- v1 = the first release's schema: no "event_topic" table (v2 adds it and back-fills it
-- from the events' JSON topics), and queue_entry's indexes as they were then.
-- Used by tests/test_migration.py, which loads it with sqlite3.executescript.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE IF NOT EXISTS "setting" ("key" TEXT NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "shop" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "timezone" TEXT NOT NULL, "queue_version" INTEGER NOT NULL, "default_service_minutes" INTEGER NOT NULL, "created_at" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "provider" ("id" INTEGER NOT NULL PRIMARY KEY, "shop_id" INTEGER NOT NULL, "name" TEXT NOT NULL, "code" TEXT NOT NULL, "specialty" TEXT NOT NULL, "active" INTEGER NOT NULL, FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE);
CREATE INDEX "provider_shop_id" ON "provider" ("shop_id");
CREATE TABLE IF NOT EXISTS "customer" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "phone" TEXT, "age" INTEGER, "gender" TEXT);
CREATE TABLE IF NOT EXISTS "appointment" ("id" INTEGER NOT NULL PRIMARY KEY, "shop_id" INTEGER NOT NULL, "provider_id" INTEGER NOT NULL, "customer_id" INTEGER NOT NULL, "date" TEXT NOT NULL, "slot" INTEGER NOT NULL, "starts_at" TEXT, "status" TEXT NOT NULL, FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE, FOREIGN KEY ("provider_id") REFERENCES "provider" ("id"), FOREIGN KEY ("customer_id") REFERENCES "customer" ("id"));
CREATE INDEX "appointment_shop_id" ON "appointment" ("shop_id");
CREATE INDEX "appointment_provider_id" ON "appointment" ("provider_id");
CREATE INDEX "appointment_customer_id" ON "appointment" ("customer_id");
CREATE INDEX "appointment_shop_id_date" ON "appointment" ("shop_id", "date");
CREATE INDEX "appointment_provider_id_date" ON "appointment" ("provider_id", "date");
CREATE TABLE IF NOT EXISTS "queue_entry" ("id" INTEGER NOT NULL PRIMARY KEY, "shop_id" INTEGER NOT NULL, "provider_id" INTEGER, "customer_id" INTEGER NOT NULL, "full_name" TEXT NOT NULL, "ticket" TEXT NOT NULL, "ticket_day" TEXT NOT NULL, "position_in_queue" INTEGER, "status" TEXT NOT NULL, "source" TEXT NOT NULL, "appointment_id" INTEGER, "claim_hash" TEXT NOT NULL, "checked_in_at" TEXT NOT NULL, "called_at" TEXT, "started_at" TEXT, "completed_at" TEXT, FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE, FOREIGN KEY ("provider_id") REFERENCES "provider" ("id"), FOREIGN KEY ("customer_id") REFERENCES "customer" ("id"), FOREIGN KEY ("appointment_id") REFERENCES "appointment" ("id"));
CREATE INDEX "queue_entry_shop_id" ON "queue_entry" ("shop_id");
CREATE INDEX "queue_entry_provider_id" ON "queue_entry" ("provider_id");
CREATE INDEX "queue_entry_customer_id" ON "queue_entry" ("customer_id");
CREATE INDEX "queue_entry_appointment_id" ON "queue_entry" ("appointment_id");
CREATE UNIQUE INDEX "queue_entry_claim_hash" ON "queue_entry" ("claim_hash");
CREATE UNIQUE INDEX "queue_entry_shop_id_ticket_day_ticket" ON "queue_entry" ("shop_id", "ticket_day", "ticket");
CREATE INDEX "queue_entry_shop_id_status_position_in_queue" ON "queue_entry" ("shop_id", "status", "position_in_queue");
CREATE INDEX "queue_entry_provider_id_completed_at" ON "queue_entry" ("provider_id", "completed_at");
CREATE TABLE IF NOT EXISTS "ticket_counter" ("shop_id" INTEGER NOT NULL, "day" TEXT NOT NULL, "prefix" TEXT NOT NULL, "last" INTEGER NOT NULL, PRIMARY KEY ("shop_id", "day", "prefix"), FOREIGN KEY ("shop_id") REFERENCES "shop" ("id") ON DELETE CASCADE);
CREATE INDEX "ticket_counter_shop_id" ON "ticket_counter" ("shop_id");
CREATE TABLE IF NOT EXISTS "event" ("seq" INTEGER NOT NULL PRIMARY KEY, "at" TEXT NOT NULL, "shop_id" INTEGER, "type" TEXT NOT NULL, "actor" TEXT NOT NULL, "topics" TEXT NOT NULL, "data" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS "token" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "role" TEXT NOT NULL, "token_hash" TEXT NOT NULL, "created_at" TEXT NOT NULL, "last_seen_at" TEXT, "revoked_at" TEXT);
CREATE UNIQUE INDEX "token_token_hash" ON "token" ("token_hash");
CREATE TABLE IF NOT EXISTS "idempotency_key" ("scope" TEXT NOT NULL, "key" TEXT NOT NULL, "fingerprint" TEXT NOT NULL, "status" INTEGER NOT NULL, "body" TEXT NOT NULL, "created_at" INTEGER NOT NULL, PRIMARY KEY ("scope", "key"));
CREATE INDEX "idempotency_key_created_at" ON "idempotency_key" ("created_at");

-- The shop as it was left one evening: Ada still waiting (A001 of 2026-01-10), Grace served.
INSERT INTO "setting" ("key", "value") VALUES ('install_id', '"5eed0000c0ffee01"');
INSERT INTO "shop" VALUES (1, 'Corner Barber', 'UTC', 5, 15, '2026-01-10T08:00:00.000+00:00');
INSERT INTO "provider" VALUES (1, 1, 'Maria Lopez', 'CH1', 'Cuts & colour', 1);
INSERT INTO "customer" VALUES (1, 'Ada Lovelace', '+1 555 0100', NULL, NULL);
INSERT INTO "customer" VALUES (2, 'Grace Hopper', NULL, NULL, NULL);
INSERT INTO "queue_entry" VALUES (1, 1, NULL, 1, 'Ada Lovelace', 'A001', '2026-01-10', 1, 'CHECKED_IN', 'kiosk', NULL,
  '16f9062d99908de8e5e3f5b00339d79b64411d6e1f728ff57dea29d1f57637d2',
  '2026-01-10T09:00:00+00:00', NULL, NULL, NULL);
INSERT INTO "queue_entry" VALUES (2, 1, 1, 2, 'Grace Hopper', 'A002', '2026-01-10', NULL, 'COMPLETED', 'walk_in', NULL,
  'd37ddfc0738e6262ad4dfd277fca176853aa316abbe8ded6a55d087af98f1d03',
  '2026-01-10T09:05:00+00:00', '2026-01-10T09:10:00+00:00', '2026-01-10T09:11:00+00:00',
  '2026-01-10T09:31:00+00:00');
INSERT INTO "ticket_counter" VALUES (1, '2026-01-10', 'A', 2);
-- The staff token's secret is qk_v1-staff-token-for-migration-tests.
INSERT INTO "token" VALUES (1, 'front desk', 'staff',
  '2e036b6fe7ea35f96cf25c5482ba02e171c37dab38e504dac0904c8ffa4b1c86',
  '2026-01-10T08:00:00.000+00:00', NULL, NULL);

INSERT INTO "event" VALUES (1, '2026-01-10T08:00:00.000+00:00', 1, 'shop_created',
  '{"role":"system","token_id":null,"name":"system","address":null}',
  '["appointments:1","date:2026-01-10","queue:1"]',
  '{"shop":{"id":1,"name":"Corner Barber","timezone":"UTC","default_service_minutes":15,"queue_version":0}}');
INSERT INTO "event" VALUES (2, '2026-01-10T08:01:00.000+00:00', 1, 'provider_created',
  '{"role":"admin","token_id":null,"name":"owner","address":"127.0.0.1"}',
  '["appointments:1","date:2026-01-10","queue:1"]',
  '{"provider":{"id":1,"shop_id":1,"name":"Maria Lopez","code":"CH1","specialty":"Cuts & colour","active":true}}');
INSERT INTO "event" VALUES (3, '2026-01-10T09:00:00.000+00:00', 1, 'queue_joined',
  '{"role":"kiosk","token_id":null,"name":"tablet","address":"10.0.0.5"}',
  '["date:2026-01-10","queue:1"]',
  '{"entries":[{"id":1,"ticket":"A001","full_name":"Ada Lovelace","status":"CHECKED_IN","position_in_queue":1}],"version":1}');
INSERT INTO "event" VALUES (4, '2026-01-10T09:05:00.000+00:00', 1, 'queue_joined',
  '{"role":"staff","token_id":1,"name":"front desk","address":"10.0.0.2"}',
  '["date:2026-01-10","queue:1"]',
  '{"entries":[{"id":2,"ticket":"A002","full_name":"Grace Hopper","status":"CHECKED_IN","position_in_queue":2}],"version":2}');
INSERT INTO "event" VALUES (5, '2026-01-10T09:10:00.000+00:00', 1, 'queue_called',
  '{"role":"staff","token_id":1,"name":"front desk","address":"10.0.0.2"}',
  '["date:2026-01-10","queue:1"]',
  '{"entries":[{"id":2,"ticket":"A002","status":"CALLED","position_in_queue":null}],"version":3}');
INSERT INTO "event" VALUES (6, '2026-01-10T09:11:00.000+00:00', 1, 'queue_started',
  '{"role":"staff","token_id":1,"name":"front desk","address":"10.0.0.2"}',
  '["date:2026-01-10","queue:1"]',
  '{"entries":[{"id":2,"ticket":"A002","status":"IN_SERVICE","position_in_queue":null}],"version":4}');
INSERT INTO "event" VALUES (7, '2026-01-10T09:31:00.000+00:00', 1, 'queue_completed',
  '{"role":"staff","token_id":1,"name":"front desk","address":"10.0.0.2"}',
  '["date:2026-01-10","queue:1"]',
  '{"entries":[{"id":2,"ticket":"A002","status":"COMPLETED","position_in_queue":null}],"version":5}');
INSERT INTO "event" VALUES (8, '2026-01-10T10:00:00.000+00:00', NULL, 'notification',
  '{"role":"staff","token_id":1,"name":"front desk","address":"10.0.0.2"}',
  '["orders","user:7"]',
  '{"severity":"info","message":"Stock is low on wax"}');

COMMIT;
PRAGMA user_version = 1;
