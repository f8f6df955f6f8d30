-- 0002: a trigram index of display names and user names, so `users list
-- --search TEXT` finds substrings without reading every user (SPEC §9).
--
-- External content: the index holds only trigrams, keyed by the rowid of
-- `users`; triggers keep it in step with every insert, rename and delete.
-- The trigram tokenizer folds case (Unicode, like unicode61) and keeps
-- diacritics, so a 3-character or longer search matches exactly the case-
-- insensitive substrings. Shorter searches are answered with LIKE instead.
-- `users` has no INTEGER PRIMARY KEY, so a VACUUM may renumber its rowids:
-- after one, run `INSERT INTO users_search(users_search) VALUES ('rebuild')`.

CREATE VIRTUAL TABLE users_search USING fts5(
    display_name,
    upn,
    content = 'users',
    content_rowid = 'rowid',
    tokenize = 'trigram',
    detail = 'full'
);

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, display_name, upn)
    VALUES (new.rowid, new.display_name, new.upn);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, display_name, upn)
    VALUES ('delete', old.rowid, old.display_name, old.upn);
END;

CREATE TRIGGER users_search_rename AFTER UPDATE OF display_name, upn ON users BEGIN
    INSERT INTO users_search (users_search, rowid, display_name, upn)
    VALUES ('delete', old.rowid, old.display_name, old.upn);
    INSERT INTO users_search (rowid, display_name, upn)
    VALUES (new.rowid, new.display_name, new.upn);
END;

-- Stores that already have users.
INSERT INTO users_search (users_search) VALUES ('rebuild');
