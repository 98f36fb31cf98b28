namespace FlagKit.Server.Store;

/// <summary>The schema migrations, in order; each runs once in its own transaction and is recorded in <c>schema_migrations</c>.</summary>
internal static class StoreMigrations
{
    /// <summary>Every migration: version, description, SQL.</summary>
    public static readonly (int Version, string Description, string Sql)[] All =
    [
        (1, "initial schema", """
            CREATE TABLE environments (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                revision INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE TABLE documents (
                env_id INTEGER NOT NULL REFERENCES environments(id),
                kind INTEGER NOT NULL,
                key TEXT NOT NULL,
                json BLOB NOT NULL,
                version INTEGER NOT NULL,
                revision INTEGER NOT NULL,
                archived INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                updated_by TEXT NOT NULL,
                PRIMARY KEY (env_id, kind, key));
            CREATE TABLE history (
                env_id INTEGER NOT NULL REFERENCES environments(id),
                revision INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                kind INTEGER NOT NULL,
                key TEXT NOT NULL,
                action TEXT NOT NULL,
                author TEXT NOT NULL,
                comment TEXT NOT NULL,
                time INTEGER NOT NULL,
                before_json BLOB,
                after_json BLOB,
                summary TEXT NOT NULL,
                PRIMARY KEY (env_id, revision, seq));
            CREATE INDEX history_by_key ON history (env_id, kind, key, revision);
            CREATE TRIGGER history_no_update BEFORE UPDATE ON history
                BEGIN SELECT RAISE(ABORT, 'history rows are immutable'); END;
            CREATE TRIGGER history_no_delete BEFORE DELETE ON history
                BEGIN SELECT RAISE(ABORT, 'history rows are immutable'); END;
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                environment TEXT NOT NULL,
                target TEXT NOT NULL,
                revision INTEGER NOT NULL,
                detail TEXT NOT NULL);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                role INTEGER NOT NULL,
                environment TEXT,
                hash BLOB NOT NULL UNIQUE,
                prefix TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER);
            CREATE TABLE idempotency (
                env_id INTEGER NOT NULL,
                idem_key TEXT NOT NULL,
                request_hash BLOB NOT NULL,
                response BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (env_id, idem_key));
            CREATE INDEX idempotency_by_time ON idempotency (created_at);
            """),
        (2, "history.operation: what each write was, in words", """
            ALTER TABLE history ADD COLUMN operation TEXT NOT NULL DEFAULT '';
            """),
        (3, "audit rows are immutable", """
            CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'audit rows are immutable'); END;
            CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                BEGIN SELECT RAISE(ABORT, 'audit rows are immutable'); END;
            """),
        (4, "leases: once-only work across replicas (name, holder, fencing token, expiry)", """
            CREATE TABLE IF NOT EXISTS leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                token INTEGER NOT NULL,
                expires_at INTEGER NOT NULL);
            """),
        (5, "guarded releases: one row per release (state as JSON), one active release per flag, immutable events", """
            -- IF NOT EXISTS: a file whose schema_migrations was rewound by a test (or by hand) re-runs this harmlessly.
            CREATE TABLE IF NOT EXISTS releases (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                env_id INTEGER NOT NULL REFERENCES environments(id),
                flag TEXT NOT NULL,
                status TEXT NOT NULL,
                active INTEGER NOT NULL,
                state_json TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS releases_one_active ON releases (env_id, flag) WHERE active = 1;
            CREATE INDEX IF NOT EXISTS releases_by_flag ON releases (env_id, flag, id);
            CREATE TABLE IF NOT EXISTS release_events (
                release_id INTEGER NOT NULL REFERENCES releases(id),
                seq INTEGER NOT NULL,
                time INTEGER NOT NULL,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                percent INTEGER NOT NULL,
                summary TEXT NOT NULL,
                PRIMARY KEY (release_id, seq));
            CREATE TRIGGER IF NOT EXISTS release_events_no_update BEFORE UPDATE ON release_events
                BEGIN SELECT RAISE(ABORT, 'release events are immutable'); END;
            CREATE TRIGGER IF NOT EXISTS release_events_no_delete BEFORE DELETE ON release_events
                BEGIN SELECT RAISE(ABORT, 'release events are immutable'); END;
            """),
        (6, "scheduled changes and freeze windows", """
            -- IF NOT EXISTS: a file rolled back to an older schema by hand may still have these tables.
            CREATE TABLE IF NOT EXISTS schedules (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                environment TEXT NOT NULL,
                rpc TEXT NOT NULL,
                request BLOB NOT NULL,
                target TEXT NOT NULL,
                description TEXT NOT NULL,
                key_id TEXT NOT NULL,
                key_name TEXT NOT NULL,
                actor TEXT NOT NULL,
                base_revision INTEGER NOT NULL,
                due_at INTEGER NOT NULL,
                not_before INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                state TEXT NOT NULL,
                claimed_until INTEGER,
                note TEXT NOT NULL,
                applied_revision INTEGER NOT NULL,
                finished_at INTEGER);
            CREATE INDEX IF NOT EXISTS schedules_due ON schedules (state, not_before);
            CREATE TABLE IF NOT EXISTS freezes (
                environment TEXT NOT NULL,
                name TEXT NOT NULL,
                start_at INTEGER,
                end_at INTEGER,
                days TEXT NOT NULL,
                local_start TEXT NOT NULL,
                local_end TEXT NOT NULL,
                time_zone TEXT NOT NULL,
                comment TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (environment, name));
            """),
        (7, "operating modes: one mode document per environment with its own version, immutable mode history", """
            CREATE TABLE IF NOT EXISTS modes (
                env_id INTEGER PRIMARY KEY REFERENCES environments(id),
                version INTEGER NOT NULL,
                json BLOB NOT NULL,
                updated_at INTEGER NOT NULL,
                updated_by TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS mode_history (
                env_id INTEGER NOT NULL REFERENCES environments(id),
                version INTEGER NOT NULL,
                action TEXT NOT NULL,
                author TEXT NOT NULL,
                comment TEXT NOT NULL,
                time INTEGER NOT NULL,
                summary TEXT NOT NULL,
                before_json BLOB,
                after_json BLOB NOT NULL,
                PRIMARY KEY (env_id, version));
            CREATE TRIGGER IF NOT EXISTS mode_history_no_update BEFORE UPDATE ON mode_history
                BEGIN SELECT RAISE(ABORT, 'mode history rows are immutable'); END;
            CREATE TRIGGER IF NOT EXISTS mode_history_no_delete BEFORE DELETE ON mode_history
                BEGIN SELECT RAISE(ABORT, 'mode history rows are immutable'); END;
            """),
        (8, "replicas: batches of SDK release reports on their way to the replica that judges the releases; each replica's connected SDK instances", """
            CREATE TABLE IF NOT EXISTS release_report_batches (
                id TEXT PRIMARY KEY,
                environment_id INTEGER NOT NULL REFERENCES environments(id),
                flag TEXT NOT NULL,
                reports INTEGER NOT NULL,
                payload BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                taken_at INTEGER);
            CREATE INDEX IF NOT EXISTS release_report_batches_waiting ON release_report_batches (environment_id, flag, created_at) WHERE taken_at IS NULL;
            CREATE INDEX IF NOT EXISTS release_report_batches_created ON release_report_batches (created_at);
            CREATE TABLE IF NOT EXISTS replica_instances (
                replica TEXT PRIMARY KEY,
                instances BLOB NOT NULL,
                updated_at INTEGER NOT NULL);
            """),
        (9, "history.before_is_previous: a row's before is stored only when it differs from the previous row's after", """
            ALTER TABLE history ADD COLUMN before_is_previous INTEGER NOT NULL DEFAULT 0;
            """),
    ];
}
