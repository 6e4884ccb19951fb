"""The library database: one SQLite file shared by ``posecheck batch`` and the app.

Schema (version in ``PRAGMA user_version``; :data:`MIGRATIONS` brings an older file up to
date when it is opened, inside one transaction, so two processes opening an old file at
once migrate it once):

* ``athletes(id, name UNIQUE)``;
* ``sessions``: one analysis of one athlete in one clip: ``clip`` (display name), ``clip_path``,
  ``content_hash`` (SHA-256 of the clip), ``person`` (0, or k for the k-th person of a group
  clip), ``recorded_at`` (UTC ISO 8601, when it was filmed) and ``date_source``,
  ``settings`` (JSON) and ``settings_key``, ``output_dir``, ``source`` (batch/app), the
  summary (``phase``, ``verdict``, ``score`` = front-side index 0-100, ``confidence``,
  ``n_strides``), ``posecheck_version``, ``analysed_at``; unique on
  (content_hash, settings_key, person): a clip analysed with the same settings is one
  session whatever its file name;
* ``session_metrics(session_id, metric, side, value, unit)``: side ``both`` (summary key
  metrics, ``score``) or ``left``/``right`` (per-leg medians of the trend metrics);
* ``stride_metrics(session_id, stride, side, phase, metric, value)``: every stride's metrics.

Concurrency: the file is in WAL mode (readers never block the writer), every write is one
``BEGIN IMMEDIATE`` transaction (a session and all its metrics appear together or not at
all), and a writer waits up to :data:`BUSY_TIMEOUT_S` for another one to finish.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from posecheck._version import __version__
from posecheck.errors import PosecheckError
from posecheck.library.records import SessionRecord, stride_metrics, summary_metrics

BUSY_TIMEOUT_S = 60.0
LIBRARY_FILE = "library.sqlite"

#: schema migrations: MIGRATIONS[i] takes a database from version i to i + 1
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE athletes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        athlete_id INTEGER NOT NULL REFERENCES athletes(id),
        clip TEXT NOT NULL,
        clip_path TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        person INTEGER NOT NULL DEFAULT 0,
        recorded_at TEXT NOT NULL,
        date_source TEXT NOT NULL,
        settings TEXT NOT NULL,
        settings_key TEXT NOT NULL,
        output_dir TEXT,
        source TEXT NOT NULL,
        phase TEXT,
        verdict TEXT,
        score REAL,
        confidence REAL,
        confidence_label TEXT,
        n_strides INTEGER,
        posecheck_version TEXT NOT NULL,
        analysed_at TEXT NOT NULL,
        UNIQUE (content_hash, settings_key, person)
    );
    CREATE TABLE session_metrics (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        metric TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('both', 'left', 'right')),
        value REAL,
        unit TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (session_id, metric, side)
    );
    CREATE TABLE stride_metrics (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        stride INTEGER NOT NULL,
        side TEXT NOT NULL,
        phase TEXT NOT NULL DEFAULT '',
        metric TEXT NOT NULL,
        value REAL,
        PRIMARY KEY (session_id, stride, metric)
    );
    """,
    """
    CREATE INDEX sessions_by_athlete ON sessions (athlete_id, recorded_at);
    CREATE INDEX session_metrics_by_metric ON session_metrics (metric, side);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class LibraryError(PosecheckError):
    """The library file cannot be opened, is not a posecheck library, or is newer."""


def default_library_path() -> Path:
    """Where the app records analyses when no ``--library`` is given:
    ``$POSECHECK_LIBRARY``, else the per-user data folder: ``$XDG_DATA_HOME/posecheck`` or
    ``~/.local/share/posecheck`` (Linux), ``~/Library/Application Support/posecheck``
    (macOS), ``%LOCALAPPDATA%\\posecheck`` (Windows); file ``library.sqlite``."""
    env = os.environ.get("POSECHECK_LIBRARY")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "posecheck" / LIBRARY_FILE


def _retry_while_busy(step, timeout_s: float = BUSY_TIMEOUT_S) -> None:
    """Run ``step()``; while it fails with SQLite's "locked"/"busy" error, wait (growing
    from 5 ms to 0.2 s) and run it again, for up to ``timeout_s`` seconds in all."""
    deadline = time.monotonic() + timeout_s
    wait = 0.005
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if ("locked" not in message and "busy" not in message) or time.monotonic() > deadline:
                raise
        time.sleep(wait)
        wait = min(2 * wait, 0.2)


class Library:
    """An open library file (see the module docstring); use as a context manager or
    :meth:`close`. One connection per object and thread; open one per process."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S,
                                       isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise LibraryError(f"cannot open the library {self.path}: {exc}") from None
        self._db.row_factory = sqlite3.Row
        try:
            _retry_while_busy(self._set_up)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise LibraryError(f"{self.path} is not a posecheck library ({exc})") from None

    def _set_up(self) -> None:
        self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Switching a new file to WAL, and opening while another connection recovers or
        # cleans up the WAL, can fail with "database is locked" at once, without SQLite's
        # busy handler waiting: hence the retry around the whole set-up.
        if self._db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self):
        """One write transaction (``BEGIN IMMEDIATE``: takes the write lock at once)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, target: int = SCHEMA_VERSION) -> None:
        if self.schema_version == target:
            return
        with self._write() as db:
            version = self.schema_version  # again, under the lock: another process may have
            if version > SCHEMA_VERSION:   # migrated meanwhile
                raise LibraryError(f"{self.path} was written by a newer posecheck (schema "
                                   f"{version}, this one knows {SCHEMA_VERSION}); update posecheck")
            for v in range(version, target):
                for statement in MIGRATIONS[v].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {v + 1}")

    # -- writing ------------------------------------------------------------------------

    def find(self, content_hash: str, settings_key: str, person: int = 0) -> dict | None:
        """The session of this clip content, settings and person, or None."""
        row = self._db.execute(
            "SELECT s.*, a.name AS athlete FROM sessions s JOIN athletes a ON a.id = s.athlete_id "
            "WHERE content_hash = ? AND settings_key = ? AND person = ?",
            (content_hash, settings_key, person)).fetchone()
        return _session_dict(row) if row is not None else None

    def add(self, rec: SessionRecord) -> tuple[int, bool]:
        """Store ``rec`` with its metrics in one transaction; return ``(session id, added)``:
        ``added`` is False when the same content, settings and person is already there
        (nothing is changed then)."""
        s = rec.summary
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        with self._write() as db:
            old = db.execute("SELECT id FROM sessions WHERE content_hash = ? AND settings_key = ? "
                             "AND person = ?", (rec.content_hash, rec.settings_key, rec.person)
                             ).fetchone()
            if old is not None:
                return int(old[0]), False
            db.execute("INSERT OR IGNORE INTO athletes (name) VALUES (?)", (rec.athlete,))
            athlete_id = db.execute("SELECT id FROM athletes WHERE name = ?",
                                    (rec.athlete,)).fetchone()[0]
            cur = db.execute(
                "INSERT INTO sessions (athlete_id, clip, clip_path, content_hash, person, "
                "recorded_at, date_source, settings, settings_key, output_dir, source, phase, "
                "verdict, score, confidence, confidence_label, n_strides, posecheck_version, "
                "analysed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (athlete_id, rec.clip, rec.clip_path, rec.content_hash, rec.person, rec.date_iso,
                 rec.date_source, json.dumps(rec.settings, sort_keys=True, default=str),
                 rec.settings_key, rec.output_dir, rec.source, s.get("phase"), s.get("verdict"),
                 s.get("score"), s.get("confidence"), s.get("confidence_label"),
                 s.get("n_strides"), rec.report.get("posecheck_version", __version__), now))
            sid = int(cur.lastrowid)
            db.executemany("INSERT OR REPLACE INTO session_metrics VALUES (?, ?, ?, ?, ?)",
                           [(sid, m, side, v, u) for m, side, v, u in summary_metrics(rec.report)])
            db.executemany("INSERT OR REPLACE INTO stride_metrics VALUES (?, ?, ?, ?, ?, ?)",
                           [(sid, *row) for row in stride_metrics(rec.report)])
        return sid, True

    def set_output_dir(self, session_id: int, output_dir: str | None) -> None:
        """Point a session at another output folder (its analysis was written again)."""
        with self._write() as db:
            db.execute("UPDATE sessions SET output_dir = ? WHERE id = ?", (output_dir, session_id))

    # -- reading ------------------------------------------------------------------------

    def athletes(self) -> list[str]:
        """Names of the athletes with at least one session, alphabetical."""
        return [r[0] for r in self._db.execute(
            "SELECT DISTINCT a.name FROM athletes a JOIN sessions s ON s.athlete_id = a.id "
            "ORDER BY a.name COLLATE NOCASE")]

    def sessions(self, athlete: str | None = None) -> list[dict]:
        """Sessions (oldest first; one athlete or all) as dicts: ``id``, ``athlete``,
        ``date`` (UTC ISO 8601), ``clip``, ``phase``, ``verdict``, ``score``,
        ``confidence``, ``n_strides``, ``key_metrics`` (metric → value, both legs) and the
        stored columns (``clip_path``, ``content_hash``, ``settings``, ``output_dir``, ...)."""
        sql = ("SELECT s.*, a.name AS athlete FROM sessions s JOIN athletes a "
               "ON a.id = s.athlete_id")
        args: tuple = ()
        if athlete is not None:
            sql += " WHERE a.name = ?"
            args = (athlete,)
        rows = [_session_dict(r) for r in self._db.execute(
            sql + " ORDER BY s.recorded_at, s.clip, s.person, s.id", args)]
        if rows:
            metrics: dict[int, dict] = {}
            marks = ",".join("?" * len(rows))
            for r in self._db.execute(
                    f"SELECT session_id, metric, value FROM session_metrics WHERE side = 'both' "
                    f"AND metric != 'score' AND session_id IN ({marks})", [r["id"] for r in rows]):
                metrics.setdefault(r[0], {})[r[1]] = r[2]
            for r in rows:
                r["key_metrics"] = metrics.get(r["id"], {})
        return rows

    def metric_rows(self, athlete: str) -> list[dict]:
        """Every stored summary metric of the athlete's sessions: ``session_id``, ``date``,
        ``clip``, ``metric``, ``side`` (both/left/right), ``value``, ``unit`` (for trends)."""
        return [dict(r) for r in self._db.execute(
            "SELECT m.session_id, s.recorded_at AS date, s.clip, m.metric, m.side, m.value, "
            "m.unit FROM session_metrics m JOIN sessions s ON s.id = m.session_id "
            "JOIN athletes a ON a.id = s.athlete_id WHERE a.name = ? "
            "ORDER BY s.recorded_at, m.session_id", (athlete,))]

    def stride_rows(self, session_id: int) -> list[dict]:
        """The per-stride metrics of one session."""
        return [dict(r) for r in self._db.execute(
            "SELECT stride, side, phase, metric, value FROM stride_metrics WHERE session_id = ? "
            "ORDER BY stride, metric", (session_id,))]


def _session_dict(row: sqlite3.Row) -> dict:
    d = dict(row)
    d["date"] = d.pop("recorded_at")
    try:
        d["settings"] = json.loads(d["settings"])
    except (TypeError, ValueError):
        pass
    return d


def history_json(sessions: list[dict]) -> list[dict]:
    """The ``posecheck history --json`` objects: ``athlete``, ``date``, ``clip``, ``phase``,
    ``verdict``, ``score``, ``confidence``, ``n_strides``, ``key_metrics``, ``content_hash``,
    ``output_dir``."""
    keys = ("athlete", "date", "clip", "phase", "verdict", "score", "confidence", "n_strides",
            "key_metrics", "content_hash", "output_dir")
    return [{k: s.get(k) for k in keys} for s in sessions]
