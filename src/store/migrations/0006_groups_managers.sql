-- 0005: groups and managers (SPEC §3, §5; issue 14).
--
-- A tenant's groups, which the Groups column names, and who is in them; a
-- user's manager, which the Manager column names.
--
-- - Group names are unique per tenant regardless of case: `name_key` is
--   the name trimmed and lower-cased by the program with Unicode's rules
--   (rules::groups::group_key), since NOCASE folds ASCII only and group
--   names are free text ("Équipe été").
-- - A membership is two integers in the table's own B-tree (WITHOUT
--   ROWID), keyed by user first: a commit appends a batch's memberships in
--   user-key order, and a purge finds a user's at once; the second index
--   counts a group's members.
-- - `users.manager_key` is the manager's row. The partial index holds only
--   the users that have a manager, so a commit of users without one pays
--   nothing for it; a purge uses it to clear the references to the users
--   it removes (their keys may be given out again).

CREATE TABLE groups (
    key         INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX groups_by_name ON groups(tenant_id, name_key);

CREATE TABLE group_members (
    user_key   INTEGER NOT NULL REFERENCES users(key),
    group_key  INTEGER NOT NULL REFERENCES groups(key),
    PRIMARY KEY (user_key, group_key)
) WITHOUT ROWID;
CREATE INDEX group_members_by_group ON group_members(group_key);

ALTER TABLE users ADD COLUMN manager_key INTEGER REFERENCES users(key);
CREATE INDEX users_by_manager ON users(manager_key) WHERE manager_key IS NOT NULL;
