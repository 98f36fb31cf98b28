namespace FlagKit.Server.Store.Postgres;

/// <summary>
/// The PostgreSQL schema migrations, in order. All pending ones run in one transaction under a transaction-level
/// advisory lock, so replicas starting together on an empty database migrate it once; each is recorded in
/// <c>schema_migrations</c>. Version 1 is the SQLite schema at its version 3, in PostgreSQL's types.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>Every migration: version, description, SQL.</summary>
    public static readonly (int Version, string Description, string Sql)[] All =
    [
        (1, "initial schema (SQLite schema 3): revisions, documents, immutable history and audit, keys, idempotency", """
            CREATE TABLE environments (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL UNIQUE,
                revision bigint NOT NULL CHECK (revision >= 0),
                created_at bigint NOT NULL);
            CREATE TABLE documents (
                env_id bigint NOT NULL REFERENCES environments(id),
                kind integer NOT NULL,
                key text NOT NULL,
                json bytea NOT NULL,
                version bigint NOT NULL,
                revision bigint NOT NULL,
                archived boolean NOT NULL,
                updated_at bigint NOT NULL,
                updated_by text NOT NULL,
                PRIMARY KEY (env_id, kind, key));
            CREATE TABLE history (
                env_id bigint NOT NULL REFERENCES environments(id),
                revision bigint NOT NULL,
                seq integer NOT NULL,
                kind integer NOT NULL,
                key text NOT NULL,
                action text NOT NULL,
                author text NOT NULL,
                comment text NOT NULL,
                time bigint NOT NULL,
                before_json bytea,
                after_json bytea,
                summary text NOT NULL,
                operation text NOT NULL DEFAULT '',
                PRIMARY KEY (env_id, revision, seq));
            CREATE INDEX history_by_key ON history (env_id, kind, key, revision);
            CREATE TABLE audit (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                time bigint NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                environment text NOT NULL,
                target text NOT NULL,
                revision bigint NOT NULL,
                detail text NOT NULL);
            CREATE TABLE api_keys (
                id text PRIMARY KEY,
                name text NOT NULL,
                role integer NOT NULL,
                environment text,
                hash bytea NOT NULL UNIQUE,
                prefix text NOT NULL,
                created_at bigint NOT NULL,
                revoked_at bigint);
            CREATE TABLE idempotency (
                env_id bigint NOT NULL REFERENCES environments(id),
                idem_key text NOT NULL,
                request_hash bytea NOT NULL,
                response bytea NOT NULL,
                created_at bigint NOT NULL,
                PRIMARY KEY (env_id, idem_key));
            CREATE INDEX idempotency_by_time ON idempotency (created_at);
            CREATE FUNCTION flagkit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$;
            CREATE TRIGGER history_immutable BEFORE UPDATE OR DELETE ON history
                FOR EACH ROW EXECUTE FUNCTION flagkit_refuse_change();
            CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
                FOR EACH STATEMENT EXECUTE FUNCTION flagkit_refuse_change();
            CREATE TRIGGER audit_immutable BEFORE UPDATE OR DELETE ON audit
                FOR EACH ROW EXECUTE FUNCTION flagkit_refuse_change();
            CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
                FOR EACH STATEMENT EXECUTE FUNCTION flagkit_refuse_change();
            """),
        (2, "leases: once-only work across replicas (name, holder, fencing token, expiry)", """
            CREATE TABLE IF NOT EXISTS leases (
                name text PRIMARY KEY,
                holder text NOT NULL,
                token bigint NOT NULL,
                expires_at bigint NOT NULL);
            """),
        (3, "guarded releases: one row per release (state as JSON), one active release per flag, immutable events", """
            CREATE TABLE releases (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                env_id bigint NOT NULL REFERENCES environments(id),
                flag text NOT NULL,
                status text NOT NULL,
                active boolean NOT NULL,
                state_json text NOT NULL,
                created_by text NOT NULL,
                created_at bigint NOT NULL,
                updated_at bigint NOT NULL);
            CREATE UNIQUE INDEX releases_one_active ON releases (env_id, flag) WHERE active;
            CREATE INDEX releases_by_flag ON releases (env_id, flag, id);
            CREATE TABLE release_events (
                release_id bigint NOT NULL REFERENCES releases(id),
                seq integer NOT NULL,
                time bigint NOT NULL,
                kind text NOT NULL,
                actor text NOT NULL,
                percent integer NOT NULL,
                summary text NOT NULL,
                PRIMARY KEY (release_id, seq));
            CREATE TRIGGER release_events_immutable BEFORE UPDATE OR DELETE ON release_events
                FOR EACH ROW EXECUTE FUNCTION flagkit_refuse_change();
            CREATE TRIGGER release_events_no_truncate BEFORE TRUNCATE ON release_events
                FOR EACH STATEMENT EXECUTE FUNCTION flagkit_refuse_change();
            """),
        (4, "scheduled changes and freeze windows", """
            -- IF NOT EXISTS: a file rolled back to an older schema by hand may still have these tables.
            CREATE TABLE IF NOT EXISTS schedules (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                environment text NOT NULL,
                rpc text NOT NULL,
                request bytea NOT NULL,
                target text NOT NULL,
                description text NOT NULL,
                key_id text NOT NULL,
                key_name text NOT NULL,
                actor text NOT NULL,
                base_revision bigint NOT NULL,
                due_at bigint NOT NULL,
                not_before bigint NOT NULL,
                created_at bigint NOT NULL,
                state text NOT NULL,
                claimed_until bigint,
                note text NOT NULL,
                applied_revision bigint NOT NULL,
                finished_at bigint);
            CREATE INDEX IF NOT EXISTS schedules_due ON schedules (state, not_before);
            CREATE TABLE IF NOT EXISTS freezes (
                environment text NOT NULL,
                name text NOT NULL,
                start_at bigint,
                end_at bigint,
                days text NOT NULL,
                local_start text NOT NULL,
                local_end text NOT NULL,
                time_zone text NOT NULL,
                comment text NOT NULL,
                created_by text NOT NULL,
                created_at bigint NOT NULL,
                PRIMARY KEY (environment, name));
            """),
        (5, "operating modes: one mode document per environment with its own version, immutable mode history", """
            CREATE TABLE modes (
                env_id bigint PRIMARY KEY REFERENCES environments(id),
                version bigint NOT NULL CHECK (version > 0),
                json bytea NOT NULL,
                updated_at bigint NOT NULL,
                updated_by text NOT NULL);
            CREATE TABLE mode_history (
                env_id bigint NOT NULL REFERENCES environments(id),
                version bigint NOT NULL,
                action text NOT NULL,
                author text NOT NULL,
                comment text NOT NULL,
                time bigint NOT NULL,
                summary text NOT NULL,
                before_json bytea,
                after_json bytea NOT NULL,
                PRIMARY KEY (env_id, version));
            CREATE TRIGGER mode_history_immutable BEFORE UPDATE OR DELETE ON mode_history
                FOR EACH ROW EXECUTE FUNCTION flagkit_refuse_change();
            CREATE TRIGGER mode_history_no_truncate BEFORE TRUNCATE ON mode_history
                FOR EACH STATEMENT EXECUTE FUNCTION flagkit_refuse_change();
            """),
        (6, "replicas: batches of SDK release reports on their way to the replica that judges the releases; each replica's connected SDK instances", """
            CREATE TABLE release_report_batches (
                id uuid PRIMARY KEY,
                environment_id bigint NOT NULL REFERENCES environments(id),
                flag text NOT NULL,
                reports integer NOT NULL CHECK (reports > 0),
                payload bytea NOT NULL,
                created_at bigint NOT NULL,
                taken_at bigint);
            CREATE INDEX release_report_batches_waiting ON release_report_batches (environment_id, flag, created_at) WHERE taken_at IS NULL;
            CREATE INDEX release_report_batches_created ON release_report_batches (created_at);
            CREATE TABLE replica_instances (
                replica text PRIMARY KEY,
                instances bytea NOT NULL,
                updated_at bigint NOT NULL);
            """),
        (7, "history.before_is_previous: a row's before is stored only when it differs from the previous row's after", """
            ALTER TABLE history ADD COLUMN before_is_previous boolean NOT NULL DEFAULT false;
            """),
    ];
}
