-- 0001: the first schema (SPEC §1).
-- Times are Unix seconds (UTC). Names that are compared case-insensitively
-- (domains, user names, SKUs) use COLLATE NOCASE; user names and domains
-- are ASCII by the rules, so NOCASE is exact for them.

CREATE TABLE tenants (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    default_domain   TEXT NOT NULL COLLATE NOCASE,
    usage_location   TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE domains (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL COLLATE NOCASE,
    federated   INTEGER NOT NULL DEFAULT 0 CHECK (federated IN (0, 1)),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
-- A domain belongs to one tenant only.
CREATE UNIQUE INDEX domains_by_name ON domains(name);

CREATE TABLE subscriptions (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    sku          TEXT NOT NULL COLLATE NOCASE,
    name         TEXT NOT NULL,
    total_seats  INTEGER NOT NULL CHECK (total_seats >= 0),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sku)
);

CREATE TABLE batches (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    settings     TEXT NOT NULL,   -- JSON: sign-in, location, licences, roles, ...
    rows         INTEGER NOT NULL,
    created      INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE users (
    id                     TEXT PRIMARY KEY,          -- GUID
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
    created_at             INTEGER NOT NULL
);
-- One user per name in a tenant, active or deleted: a deleted user is restored,
-- not created again.
CREATE UNIQUE INDEX users_by_upn ON users(tenant_id, upn);
CREATE INDEX users_by_state ON users(tenant_id, state, display_name);

CREATE TABLE license_assignments (
    user_id     TEXT NOT NULL REFERENCES users(id),
    tenant_id   TEXT NOT NULL,
    sku         TEXT NOT NULL COLLATE NOCASE,
    -- 'assigned' holds a seat; 'released' is what a deleted user had, kept
    -- so a restore can give it back.
    state       TEXT NOT NULL DEFAULT 'assigned' CHECK (state IN ('assigned', 'released')),
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, sku),
    FOREIGN KEY (tenant_id, sku) REFERENCES subscriptions(tenant_id, sku)
);
CREATE INDEX license_assignments_by_sku ON license_assignments(tenant_id, sku, state);

CREATE TABLE role_assignments (
    user_id  TEXT NOT NULL REFERENCES users(id),
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    message_id    TEXT NOT NULL UNIQUE,
    tenant_id     TEXT NOT NULL,
    batch_id      TEXT REFERENCES batches(id),
    kind          TEXT NOT NULL,         -- results | welcome | reset
    sender        TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body_text     TEXT,                  -- erased (NULL) once sent: it holds passwords
    body_html     TEXT,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER
);
CREATE INDEX outbox_by_status ON outbox(status, id);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    at         INTEGER NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_tenant ON audit_log(tenant_id, at);
