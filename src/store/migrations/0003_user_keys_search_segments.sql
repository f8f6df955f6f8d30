-- 0003: integer user keys and search segments (issue 6).
--
-- Why: a 100k-user commit spent 2.4-2.8 s in its transaction, about 85k
-- instructions a user, mostly B-tree seeks on text keys: the GUID primary
-- key and its index, and licence and role rows keyed by that GUID. And
-- `users list --search` on a 1M-user tenant took 0.3 s, walking every
-- index entry of the tenant with instr().
--
-- What changes:
--
-- - `users.key INTEGER PRIMARY KEY` is the row's identity inside the store;
--   licence and role rows reference it (`user_key`), so their foreign-key
--   checks and primary keys are integer seeks that append at the end of
--   their B-trees; being small, those rows live in their primary key's
--   B-tree (WITHOUT ROWID), one B-tree less each. The GUID stays the
--   user's public id, without an index: nothing looks a user up by it,
--   and time-ordered random GUIDs (v7: 48 bits of time, 74 random bits)
--   are unique by construction; its unique index cost 4.3k instructions
--   a user in a commit.
-- - `search_segments` holds the search keys of a tenant's users in packed
--   blocks, one row per (tenant, state, tail) block of up to 64 KiB:
--   `body` is 0xFF, then each entry followed by 0xFF. An entry is the search
--   key without its "@domain" tail (the display name and the user name's
--   local part, lower-cased by the program); the tail is stored once per
--   block in `tail`. 0xFF never occurs in UTF-8, so a term can never
--   match across entries. `users.segment` names the block that holds the
--   user's entry, so delete, restore and purge move one entry. See
--   src/store/search.rs for the search and the measurements.
--
-- Measured (2 shared cores, so wall times vary by 20% and more): the
-- transaction of a 100k-user commit took 2.4-3.3 s and runs 1.4-2.1 s;
-- callgrind counts 9.55G instructions in it before, 6.43G after, most of
-- them still per user: the wide users row with its 26 bound values, the
-- name and list indexes (about 9k instructions a user each) and the
-- foreign-key checks (about 7.5k). A 1M-user commit: 56 s wall (37 s in
-- the transaction) before, 38 s (20 s) after. Searches: see search.rs.
--
-- Stores are not shipped yet, but one made by 0002 is rebuilt in place:
-- user keys keep the old rowids (so the order of creation), and the blocks
-- are built from the search keys the store already has.

CREATE TABLE users_new (
    key                    INTEGER PRIMARY KEY,
    id                     TEXT NOT NULL,             -- GUID
    tenant_id              TEXT NOT NULL REFERENCES tenants(id),
    upn                    TEXT NOT NULL COLLATE NOCASE,
    display_name           TEXT NOT NULL,
    first_name             TEXT NOT NULL DEFAULT '',
    last_name              TEXT NOT NULL DEFAULT '',
    job_title              TEXT NOT NULL DEFAULT '',
    department             TEXT NOT NULL DEFAULT '',
    office_number          TEXT NOT NULL DEFAULT '',
    office_phone           TEXT NOT NULL DEFAULT '',
    mobile_phone           TEXT NOT NULL DEFAULT '',
    fax                    TEXT NOT NULL DEFAULT '',
    alternate_email        TEXT NOT NULL DEFAULT '',
    address                TEXT NOT NULL DEFAULT '',
    city                   TEXT NOT NULL DEFAULT '',
    state_or_province      TEXT NOT NULL DEFAULT '',
    postal_code            TEXT NOT NULL DEFAULT '',
    country                TEXT NOT NULL DEFAULT '',
    usage_location         TEXT NOT NULL,
    sign_in_blocked        INTEGER NOT NULL DEFAULT 0 CHECK (sign_in_blocked IN (0, 1)),
    state                  TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleted')),
    deleted_at             INTEGER,
    password_hash          TEXT NOT NULL,             -- argon2id PHC string, never plaintext
    force_change_password  INTEGER NOT NULL DEFAULT 0 CHECK (force_change_password IN (0, 1)),
    batch_id               TEXT REFERENCES batches(id),
    created_at             INTEGER NOT NULL,
    -- The display name and the user name, lower-cased by the program
    -- (0002); it also orders the list.
    search_key             TEXT NOT NULL,
    -- The search_segments row holding this user's entry (no foreign key:
    -- deleting an emptied block would then have to search the users).
    segment                INTEGER NOT NULL DEFAULT 0
);
INSERT INTO users_new (key, id, tenant_id, upn, display_name, first_name, last_name, job_title,
    department, office_number, office_phone, mobile_phone, fax, alternate_email, address, city,
    state_or_province, postal_code, country, usage_location, sign_in_blocked, state, deleted_at,
    password_hash, force_change_password, batch_id, created_at, search_key)
SELECT rowid, id, tenant_id, upn, display_name, first_name, last_name, job_title,
    department, office_number, office_phone, mobile_phone, fax, alternate_email, address, city,
    state_or_province, postal_code, country, usage_location, sign_in_blocked, state, deleted_at,
    password_hash, force_change_password, batch_id, created_at, search_key
FROM users ORDER BY rowid;

CREATE TABLE license_assignments_new (
    user_key    INTEGER NOT NULL REFERENCES users_new(key),
    tenant_id   TEXT NOT NULL,
    sku         TEXT NOT NULL COLLATE NOCASE,
    -- 'assigned' holds a seat; 'released' is what a deleted user had, kept
    -- so a restore can give it back.
    state       TEXT NOT NULL DEFAULT 'assigned' CHECK (state IN ('assigned', 'released')),
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (user_key, sku),
    FOREIGN KEY (tenant_id, sku) REFERENCES subscriptions(tenant_id, sku)
) WITHOUT ROWID;
INSERT INTO license_assignments_new (user_key, tenant_id, sku, state, assigned_at)
SELECT u.rowid, a.tenant_id, a.sku, a.state, a.assigned_at
FROM license_assignments a JOIN users u ON u.id = a.user_id ORDER BY u.rowid, a.sku;

CREATE TABLE role_assignments_new (
    user_key  INTEGER NOT NULL REFERENCES users_new(key),
    role      TEXT NOT NULL,
    PRIMARY KEY (user_key, role)
) WITHOUT ROWID;
INSERT INTO role_assignments_new (user_key, role)
SELECT u.rowid, r.role
FROM role_assignments r JOIN users u ON u.id = r.user_id ORDER BY u.rowid, r.role;

-- Children first: nothing references them, then nothing references users.
DROP TABLE license_assignments;
DROP TABLE role_assignments;
DROP TABLE users;
-- Renaming also renames the references of the new child tables.
ALTER TABLE users_new RENAME TO users;
ALTER TABLE license_assignments_new RENAME TO license_assignments;
ALTER TABLE role_assignments_new RENAME TO role_assignments;

CREATE UNIQUE INDEX users_by_upn ON users(tenant_id, upn);
-- Display order, the page of a listing, and the dense searches.
CREATE INDEX users_search ON users(tenant_id, state, search_key);
CREATE INDEX license_assignments_by_sku ON license_assignments(tenant_id, sku, state);

CREATE TABLE search_segments (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    state      TEXT NOT NULL CHECK (state IN ('active', 'deleted')),
    tail       TEXT NOT NULL,                   -- '@' and the lower-cased domain
    entries    INTEGER NOT NULL CHECK (entries >= 0),
    body       BLOB NOT NULL                    -- 0xFF, then each entry and 0xFF
);
-- Covers the unsearched count (the sum of `entries`) and finds a tenant's
-- open block per state and domain.
CREATE INDEX search_segments_by_tenant ON search_segments(tenant_id, state, tail, id, entries);

-- The blocks of an existing store: each search key split where its user
-- name's '@' is, up to 1500 entries a block.
CREATE TEMP TABLE segment_parts (
    key INTEGER PRIMARY KEY, tenant_id TEXT, state TEXT, entry TEXT, tail TEXT, block INTEGER
);
INSERT INTO segment_parts (key, tenant_id, state, entry, tail)
SELECT key, tenant_id, state,
    substr(search_key, 1, length(search_key) - length(upn) + instr(upn, '@') - 1),
    substr(search_key, length(search_key) - length(upn) + instr(upn, '@'))
FROM users;
UPDATE segment_parts SET block = n.block
FROM (SELECT key, (row_number() OVER (PARTITION BY tenant_id, state, tail ORDER BY key) - 1)
        / 1500 AS block FROM segment_parts) AS n
WHERE n.key = segment_parts.key;
CREATE TEMP TABLE segment_blocks (
    id INTEGER PRIMARY KEY, tenant_id TEXT, state TEXT, tail TEXT, block INTEGER,
    UNIQUE (tenant_id, state, tail, block)
);
INSERT INTO segment_blocks (tenant_id, state, tail, block)
SELECT DISTINCT tenant_id, state, tail, block FROM segment_parts ORDER BY 1, 2, 3, 4;
INSERT INTO search_segments (id, tenant_id, state, tail, entries, body)
SELECT b.id, b.tenant_id, b.state, b.tail, count(*),
    CAST(X'FF' || group_concat(CAST(p.entry AS BLOB) || X'FF', '') AS BLOB)
FROM segment_parts p JOIN segment_blocks b USING (tenant_id, state, tail, block)
GROUP BY b.id;
UPDATE users SET segment = b.id
FROM segment_parts p JOIN segment_blocks b USING (tenant_id, state, tail, block)
WHERE p.key = users.key;
DROP TABLE segment_parts;
DROP TABLE segment_blocks;
