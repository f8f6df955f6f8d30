-- 0002: a search key for `users list --search` (SPEC §9).
--
-- `search_key` is the display name and the user name, lower-cased by the
-- program with Unicode rules ("zoë ångström zoe@contoso.com"), so a search
-- in any case matches accented names too, which SQLite's ASCII-only LIKE
-- and lower() cannot do. The index (tenant, state, key) covers the search:
-- a search reads the tenant's index entries in display order and never the
-- wide user rows, and the same pass counts the matches for "page X of Y".
--
-- A trigram full-text index (FTS5) was measured too: it finds rare names
-- in milliseconds, but maintaining it made a 100k-user commit four times
-- slower (about 100 µs a user inside the transaction), so it was not kept.

ALTER TABLE users ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
-- Stores created before 0002 (none shipped): ASCII lower-casing is the best
-- SQL can do; new users get the program's full lower-casing.
UPDATE users SET search_key = lower(display_name) || ' ' || lower(upn);
CREATE INDEX users_search ON users(tenant_id, state, search_key);
-- Listing without a search walks the same index; the old one is redundant.
DROP INDEX users_by_state;
