"""Conversations: the questions a person asked and the answers they got, kept in SQLite so
they survive a restart, and read back as the history that follow-up questions need."""
from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

from qa.types import Answer

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
        self._lock = threading.Lock()

    def create(self, title: str | None = None) -> ConversationSummary:
        cid = uuid.uuid4().hex
        now = _now()
        with self._lock:
            self._db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?)",
                             (cid, (title or "").strip()[:TITLE_CHARS], now, now))
        return ConversationSummary(id=cid, title=(title or "").strip()[:TITLE_CHARS],
                                   created=now, updated=now, messages=0)

    def list(self, offset: int = 0, limit: int = 50) -> tuple[list[ConversationSummary], int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(m.id) FROM conversations c "
                "LEFT JOIN messages m ON m.conversation_id = c.id GROUP BY c.id "
                "ORDER BY c.updated DESC, c.rowid DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
            total = self._db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
        return [ConversationSummary(id=r[0], title=r[1], created=r[2], updated=r[3], messages=r[4])
                for r in rows], total

    def get(self, cid: str) -> Conversation | None:
        with self._lock:
            row = self._db.execute("SELECT id, title, created, updated FROM conversations WHERE id = ?",
                                   (cid,)).fetchone()
            if row is None:
                return None
            msgs = self._db.execute(
                "SELECT id, role, content, answer, created FROM messages WHERE conversation_id = ? ORDER BY id",
                (cid,)).fetchall()
        items = [Message(id=m[0], role=m[1], content=m[2], created=m[4],
                         answer=Answer.model_validate_json(m[3]) if m[3] else None) for m in msgs]
        return Conversation(id=row[0], title=row[1], created=row[2], updated=row[3],
                            messages=len(items), items=items)

    def add_exchange(self, cid: str, question: str, answer: Answer) -> tuple[Message, Message]:
        """The question and its answer, stored together: a conversation never holds a question
        without the answer it got."""
        now = _now()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT INTO messages (conversation_id, role, content, answer, created) VALUES (?, 'user', ?, NULL, ?)",
                    (cid, question, now))
                qid = cur.lastrowid
                cur = self._db.execute(
                    "INSERT INTO messages (conversation_id, role, content, answer, created) VALUES (?, 'assistant', ?, ?, ?)",
                    (cid, answer.answer, answer.model_dump_json(), now))
                aid = cur.lastrowid
                self._db.execute(
                    "UPDATE conversations SET updated = ?, title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                    (now, question.strip()[:TITLE_CHARS], cid))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return (Message(id=qid, role="user", content=question, created=now),
                Message(id=aid, role="assistant", content=answer.answer, answer=answer, created=now))

    def delete(self, cid: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM conversations WHERE id = ?", (cid,)).rowcount > 0

    def close(self) -> None:
        self._db.close()
