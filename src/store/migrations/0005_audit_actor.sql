-- 0006: who did it (SPEC §13 "History"; issue 14).
--
-- `actor` is who ran the command that wrote the row: for the CLI the login
-- name of the real user id (`root (sudo: NAME)` under sudo), for the web
-- face the admin's name. Rows written before this migration did not record
-- it and keep NULL, which the history commands show as "(not recorded)"
-- in text and `null` in JSON: a guess would be worse than saying so.
--
-- `batch list` pages through a tenant's batches newest first; the index
-- serves it without a sort. The audit log already has (tenant_id, at),
-- which serves `audit list --tenant` and `--since`. `--user` has no index
-- of its own: one on the subject would be written for every user of every
-- commit (a million-user batch writes a million entries) to speed up a
-- rare read, which scans the tenant's entries instead.

ALTER TABLE audit_log ADD COLUMN actor TEXT;
ALTER TABLE batches ADD COLUMN actor TEXT;
CREATE INDEX batches_by_tenant ON batches(tenant_id, created_at);
