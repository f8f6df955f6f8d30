-- 0004: honest delivery and claims (SPEC §8, §11).
--
-- The outbox table is rebuilt: SQLite cannot change a CHECK constraint in
-- place, and `status` gains two values. Every row is kept with its id,
-- Message-ID, attempts and times.
--
--   status           queued | sent (an SMTP server accepted it) | written
--                    (an .eml file) | failed (a permanent refusal, not
--                    retried)
--   transport        how the message was queued: 'smtp' (by a command run
--                    with --smtp or ONBOARD_SMTP_URL) or 'eml' (files beside
--                    the store); never a URL or credentials. NULL for rows
--                    delivered before this migration (not recorded then).
--                    A row still queued from before is 'smtp': its intent
--                    was not recorded, and treating it as SMTP never turns
--                    an email into a file unasked (`outbox send --eml` does
--                    that on request).
--   reply            the SMTP server's reply to a sent or failed message
--   path             the .eml file of a written message
--   claimed_by       the delivery run that holds the message (a random
--   claimed_until    token) and until when (Unix seconds): a lease taken
--                    in its own write transaction before the message is
--                    sent, so that no two runs send it (src/notify/deliver.rs)
--   attachment_name  the results CSV of a batch of more than 500 users;
--   attachment       erased with the bodies, as it holds passwords

CREATE TABLE outbox_new (
    id               INTEGER PRIMARY KEY,
    message_id       TEXT NOT NULL UNIQUE,
    tenant_id        TEXT NOT NULL,
    batch_id         TEXT REFERENCES batches(id),
    kind             TEXT NOT NULL,         -- results | welcome | reset
    transport        TEXT CHECK (transport IN ('smtp', 'eml')),
    sender           TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT,                  -- erased (NULL) once delivered or failed
    body_html        TEXT,
    attachment_name  TEXT,
    attachment       BLOB,
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sent', 'written', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    reply            TEXT,
    path             TEXT,
    claimed_by       TEXT,
    claimed_until    INTEGER,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
);

INSERT INTO outbox_new (id, message_id, tenant_id, batch_id, kind, transport, sender, recipient,
    subject, body_text, body_html, status, attempts, last_error, created_at, sent_at)
SELECT id, message_id, tenant_id, batch_id, kind,
       CASE status WHEN 'queued' THEN 'smtp' END,
       sender, recipient, subject, body_text, body_html, status, attempts, last_error,
       created_at, sent_at
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_by_status ON outbox(status, id);
