"""Conversations: the questions a person asked and the answers they got, kept in SQLite so
they survive a restart, and read back as the history that follow-up questions need."""
from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from qa.types import Answer, Filters

TITLE_CHARS = 80

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    answer TEXT,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
"""


class Message(BaseModel):
    id: int
    role: str
    content: str
    answer: Answer | None = None  # the full answer, with citations, for assistant messages
    created: str
    as_of: date | None = Field(None, description="The as-of date the question was asked under.")
    filters: Filters | None = Field(None, description="The filters it was asked under.")


class _Asked(BaseModel):
    as_of: date | None = None
    filters: Filters | None = None


class ConversationSummary(BaseModel):
    id: str
    title: str
    created: str
    updated: str
    messages: int


class Conversation(ConversationSummary):
    items: list[Message]


def _now() -> str:
    # Microseconds: conversations touched within the same second must still list in order.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class ConversationStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        if "owner" not in {r[1] for r in self._db.execute("PRAGMA table_info(conversations)")}:
            # Who made it (an API key's digest), where keys are set; NULL otherwise.
            self._db.execute("ALTER TABLE conversations ADD COLUMN owner TEXT")
        if "asked" not in {r[1] for r in self._db.execute("PRAGMA table_info(messages)")}:
            # The as-of date and filters a question was asked under (JSON), on both of its rows.
            self._db.execute("ALTER TABLE messages ADD COLUMN asked TEXT")
        self._lock = threading.Lock()

    def create(self, title: str | None = None, owner: str | None = None) -> ConversationSummary:
        """`owner` (an API key's digest) marks whose it is; get, list and delete given an owner
        see only that owner's conversations."""
        cid = uuid.uuid4().hex
        now = _now()
        with self._lock:
            self._db.execute("INSERT INTO conversations (id, title, created, updated, owner) VALUES (?, ?, ?, ?, ?)",
                             (cid, (title or "").strip()[:TITLE_CHARS], now, now, owner))
        return ConversationSummary(id=cid, title=(title or "").strip()[:TITLE_CHARS],
                                   created=now, updated=now, messages=0)

    def list(self, offset: int = 0, limit: int = 50,
             owner: str | None = None) -> tuple[list[ConversationSummary], int]:
        mine, who = ("c.owner = ?", [owner]) if owner is not None else ("1", [])
        with self._lock:
            rows = self._db.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(m.id) FROM conversations c "
                f"LEFT JOIN messages m ON m.conversation_id = c.id WHERE {mine} GROUP BY c.id "
                "ORDER BY c.updated DESC, c.rowid DESC LIMIT ? OFFSET ?", (*who, limit, offset)).fetchall()
            total = self._db.execute(f"SELECT COUNT(*) FROM conversations c WHERE {mine}", who).fetchone()[0]
        return [ConversationSummary(id=r[0], title=r[1], created=r[2], updated=r[3], messages=r[4])
                for r in rows], total

    def get(self, cid: str, owner: str | None = None) -> Conversation | None:
        with self._lock:
            row = self._db.execute("SELECT id, title, created, updated, owner FROM conversations WHERE id = ?",
                                   (cid,)).fetchone()
            if row is None or (owner is not None and row[4] != owner):
                return None
            msgs = self._db.execute(
                "SELECT id, role, content, answer, created, asked FROM messages WHERE conversation_id = ? ORDER BY id",
                (cid,)).fetchall()
        items = [Message(id=m[0], role=m[1], content=m[2], created=m[4],
                         answer=Answer.model_validate_json(m[3]) if m[3] else None,
                         **(_Asked.model_validate_json(m[5]).model_dump() if m[5] else {})) for m in msgs]
        return Conversation(id=row[0], title=row[1], created=row[2], updated=row[3],
                            messages=len(items), items=items)

    def add_exchange(self, cid: str, question: str, answer: Answer, as_of: date | None = None,
                     filters: Filters | None = None) -> tuple[Message, Message]:
        """The question and its answer, stored together: a conversation never holds a question
        without the answer it got. Both rows keep the as-of date and filters it was asked under."""
        now = _now()
        asked = _Asked(as_of=as_of, filters=filters)
        asked_json = asked.model_dump_json(exclude_none=True) if (as_of or filters) else None
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT INTO messages (conversation_id, role, content, answer, created, asked) "
                    "VALUES (?, 'user', ?, NULL, ?, ?)", (cid, question, now, asked_json))
                qid = cur.lastrowid
                cur = self._db.execute(
                    "INSERT INTO messages (conversation_id, role, content, answer, created, asked) "
                    "VALUES (?, 'assistant', ?, ?, ?, ?)", (cid, answer.answer, answer.model_dump_json(), now, asked_json))
                aid = cur.lastrowid
                self._db.execute(
                    "UPDATE conversations SET updated = ?, title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                    (now, question.strip()[:TITLE_CHARS], cid))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return (Message(id=qid, role="user", content=question, created=now, as_of=as_of, filters=filters),
                Message(id=aid, role="assistant", content=answer.answer, answer=answer, created=now,
                        as_of=as_of, filters=filters))

    def delete(self, cid: str, owner: str | None = None) -> bool:
        mine, who = (" AND owner = ?", [owner]) if owner is not None else ("", [])
        with self._lock:
            return self._db.execute(f"DELETE FROM conversations WHERE id = ?{mine}", (cid, *who)).rowcount > 0

    def close(self) -> None:
        self._db.close()
