"""The model database's schema, as ordered migrations.

``PRAGMA user_version`` holds how many migrations a database has had; opening one
runs the rest, each in its own transaction. Never edit a migration that has
shipped: add the next one (and a test that starts from the schema before it).
"""

from __future__ import annotations

import sqlite3

_V1 = """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL              -- JSON
        );
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,              -- the file the user gave, as they named it
            sha256 TEXT NOT NULL,
            format TEXT NOT NULL,
            title TEXT,
            imported_at TEXT NOT NULL
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,          -- the message's position in the export
            source_id INTEGER NOT NULL REFERENCES sources(id),
            time TEXT NOT NULL,
            sender TEXT,
            text TEXT NOT NULL,
            kind TEXT NOT NULL,
            edited INTEGER NOT NULL
        );
        CREATE TABLE builds (
            id INTEGER PRIMARY KEY,
            settings TEXT NOT NULL,          -- JSON of BuildSettings
            created_at TEXT NOT NULL,
            sessions INTEGER NOT NULL,
            cut INTEGER NOT NULL,
            redactions TEXT NOT NULL         -- JSON of RedactionCounts
        );
        CREATE TABLE examples (
            id INTEGER PRIMARY KEY,
            build_id INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
            session INTEGER NOT NULL,
            part INTEGER NOT NULL,
            split TEXT NOT NULL CHECK (split IN ('train', 'valid')),
            body TEXT NOT NULL,              -- JSON: system prompt, turns by message ids
            tokens INTEGER,
            excluded INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX examples_by_build ON examples(build_id, split);
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            backend TEXT NOT NULL,
            base_model TEXT NOT NULL,
            state TEXT NOT NULL,
            remote_id TEXT,
            settings TEXT NOT NULL,          -- JSON
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            error TEXT
        );
        CREATE TABLE metrics (
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            name TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (job_id, step, name)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            job_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
            time TEXT NOT NULL,
            level TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE conversation_messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            time TEXT NOT NULL
        );
"""

# Training jobs that run in their own process: who runs them, whether they are alive,
# how far they got, and a cancel request the worker polls. Conversations remember which
# job's model they talked to.
_V2 = """
        ALTER TABLE jobs ADD COLUMN pid INTEGER;
        ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;
        ALTER TABLE jobs ADD COLUMN step INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN total_steps INTEGER;
        ALTER TABLE jobs ADD COLUMN checkpoint_step INTEGER;
        ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN finished_at TEXT;
        ALTER TABLE conversations ADD COLUMN job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL;
        CREATE INDEX metrics_by_name ON metrics(job_id, name, step);
"""

# A reply the user stopped is kept as far as it got, and marked; a conversation's lines
# are read by conversation.
_V3 = """
        ALTER TABLE conversation_messages ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX conversation_lines ON conversation_messages(conversation_id, id);
"""

# An example's number of turns as a column, and an index that holds what the preview's
# statistics count: 100,000 examples are counted in tens of milliseconds, where reading
# every JSON body took half a second.
_V4 = """
        ALTER TABLE examples ADD COLUMN turns INTEGER NOT NULL DEFAULT 0;
        UPDATE examples SET turns = json_array_length(body, '$.turns');
        CREATE INDEX examples_for_stats ON examples(build_id, excluded, split, tokens, turns);
"""

# Remote fine-tuning (OpenAI, Azure OpenAI): what was uploaded or created there (files,
# the fine-tuned model) and when it was deleted; the service's events, kept once each.
_V5 = """
        CREATE TABLE remote_objects (
            id INTEGER PRIMARY KEY,
            job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
            backend TEXT NOT NULL,
            kind TEXT NOT NULL,              -- training_file, validation_file, results_file, model
            remote_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            deleted_at TEXT
        );
        ALTER TABLE events ADD COLUMN remote_id TEXT;
        CREATE UNIQUE INDEX events_by_remote_id ON events(job_id, remote_id)
            WHERE remote_id IS NOT NULL;
"""

# Persona-fidelity reports, each with the settings that made it, so runs can be compared.
_V6 = """
        CREATE TABLE evaluations (
            id INTEGER PRIMARY KEY,
            job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            settings TEXT NOT NULL,          -- JSON
            report TEXT NOT NULL             -- JSON
        );
"""

# What a local job's worker is doing now (loading, scoring the base model, training,
# scoring the tuned model, saving) and how far it is in it (batches scored of all), so
# that the app and `status` say it while no step has been reported.
_V7 = """
        ALTER TABLE jobs ADD COLUMN phase TEXT;
        ALTER TABLE jobs ADD COLUMN phase_done INTEGER;
        ALTER TABLE jobs ADD COLUMN phase_total INTEGER;
"""

# Each step is an SQL script; step N takes a database from version N to N + 1.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7)
VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> None:
    """Bring ``db`` to VERSION. A database made by a newer gpt-is-you is refused before
    (``models.connect``): this one cannot know what to do with it."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number in range(version, VERSION):
        # One transaction per step: a step that fails leaves the version before it.
        try:
            db.executescript(
                f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;"
            )
        except sqlite3.Error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
