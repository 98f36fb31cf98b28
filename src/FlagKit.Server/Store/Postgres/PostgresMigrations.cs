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
        (2, "operating modes: one mode document per environment with its own version, immutable mode history", """
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
    ];
}
