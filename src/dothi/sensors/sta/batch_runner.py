"""Running a batch request's parts: a lone request in its own transaction, a change set's
requests in one transaction that is rolled back as a whole when one of them fails."""

from __future__ import annotations

from sqlalchemy import Connection

from dothi.db.engine import Database
from dothi.errors import DothiError
from dothi.sensors.sta import service
from dothi.sensors.sta.batch import ChangeSet, Part, PartAnswer, error_answer, resolve_references
from dothi.sensors.sta.service import Answer, Context


def run_batch(
    db: Database, ctx: Context, items: list[Part | ChangeSet]
) -> list[PartAnswer | list[PartAnswer]]:
    """The answers to ``items``, in order."""
    answers: list[PartAnswer | list[PartAnswer]] = []
    for item in items:
        if isinstance(item, Part):
            try:
                with db.write() if item.method != "GET" else db.read() as conn:
                    answers.append(_answer(_dispatch(conn, ctx, item)))
            except DothiError as exc:
                answers.append(error_answer(exc, None))
            continue
        answers.append(_change_set(db, ctx, item))
    return answers


def _change_set(db: Database, ctx: Context, cs: ChangeSet) -> PartAnswer | list[PartAnswer]:
    done: list[PartAnswer] = []
    created: dict[str, str] = {}
    current: Part | None = None
    try:
        with db.write() as conn:
            for part in cs.parts:
                current = resolve_references(part, created)
                answer = _dispatch(conn, ctx, current)
                if part.content_id and answer.location:
                    created[part.content_id] = answer.location.rsplit("/", 1)[-1]
                done.append(_answer(answer, part.content_id))
    except DothiError as exc:
        # The whole change set is rolled back: one answer, the failing request's error.
        return error_answer(exc, None, current.content_id if current else None)
    return done


def _dispatch(conn: Connection, ctx: Context, part: Part) -> Answer:
    if part.method == "GET":
        return service.read(conn, ctx, part.path, part.params)
    if part.method == "POST":
        return service.post(conn, ctx, part.path, part.body)
    if part.method in ("PATCH", "PUT"):
        return service.change(conn, ctx, part.method, part.path, part.body, part.media)
    return service.remove(conn, ctx, part.path)


def _answer(a: Answer, content_id: str | None = None) -> PartAnswer:
    return PartAnswer(a.status, a.body, a.location, content_id, a.text)
