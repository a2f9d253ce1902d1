-- Secrets every app instance on this database shares: the key that signs the one-line
-- message (flash) a page shows after a form, so that no other site or script can put
-- words on a clinic page through a cookie.
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY NOT NULL,
    secret TEXT NOT NULL
);

-- One row, rewritten by /healthz now and then: whether this instance can still write
-- (a full disk or a read-only database answers reads but refuses every change).
CREATE TABLE write_probes (
    id INTEGER PRIMARY KEY NOT NULL,
    probed_at TIMESTAMP NOT NULL
);
