"""Documents: list, show, delete, and add (one JSON document or a multipart upload of files).

An upload stores what it can: each file's articles are ingested on their own, and the answer
says per file what became of them (added, replaced, unchanged, or refused and why)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import ArchiveDep, ReadAccess, SettingsDep, WriteAccess
from api.schemas import MAX_OFFSET, DocumentIn, DocumentList, DocumentPatch, FileResult, IngestResult, summary
from qa.archive import Archive
from qa.errors import ArticleError
from qa.ingest.corrections import CorrectionError
from qa.ingest.readers import SUPPORTED, Draft, from_bytes, from_record
from qa.types import Article

router = APIRouter(prefix="/documents", tags=["documents"])

UNSUPPORTED = f"unsupported file type (use {', '.join(SUPPORTED)})"

# The body is read by hand (JSON or multipart), so it is declared here for the OpenAPI document.
REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": DocumentIn.model_json_schema()},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["files"],
        "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                 "description": f"Article files: {', '.join(SUPPORTED)} "
                                                "(a .jsonl file holds one JSON document a line)."}}}},
}}}


@dataclass
class Upload:
    """One uploaded file (or the JSON document): its drafts, or why it was refused whole."""
    file: str | None
    drafts: list[Draft] = field(default_factory=list)
    refused: str | None = None


@router.get("", response_model=DocumentList, dependencies=[ReadAccess])
def list_documents(archive: ArchiveDep, offset: int = Query(0, ge=0, le=MAX_OFFSET),
                   limit: int = Query(50, ge=1, le=500),
                   order: Literal["id", "newest"] = Query("id", description="'newest': by publication "
                                                          "date, newest first, undated ones last.")) -> DocumentList:
    items, total = archive.list(offset, limit) if order == "id" else archive.list_newest(offset, limit)
    return DocumentList(total=total, offset=offset, limit=limit, items=[summary(a) for a in items])


@router.get("/{doc_id}", response_model=Article, dependencies=[ReadAccess])
def get_document(doc_id: str, archive: ArchiveDep) -> Article:
    article = archive.get(doc_id)
    if article is None:
        raise HTTPException(404, f"no document with id {doc_id!r}")
    return article


@router.patch("/{doc_id}", response_model=Article, dependencies=[WriteAccess],
              summary="Correct an article's title, source, url or published date",
              responses={404: {"description": "No such document."},
                         422: {"description": "A value that can't be used (a date not YYYY-MM-DD, YYYY-MM or YYYY)."}})
def correct_document(doc_id: str, body: DocumentPatch, archive: ArchiveDep) -> Article:
    """Only the fields given change; null clears source, url or published (unknown). The stored
    text never changes; a corrected value is recorded as stated (evidence: 'corrected by hand')."""
    try:
        article = archive.correct(doc_id, body.model_dump(exclude_unset=True))
    except CorrectionError as exc:
        raise HTTPException(422, str(exc)) from None
    if article is None:
        raise HTTPException(404, f"no document with id {doc_id!r}")
    return article


@router.delete("/{doc_id}", dependencies=[WriteAccess])
def delete_document(doc_id: str, archive: ArchiveDep) -> dict:
    if not archive.delete(doc_id):
        raise HTTPException(404, f"no document with id {doc_id!r}")
    return {"deleted": doc_id}


@router.post("", response_model=IngestResult, status_code=201, dependencies=[WriteAccess],
             openapi_extra=REQUEST_BODY, summary="Add articles: one JSON document or uploaded files",
             responses={200: {"model": IngestResult, "description": "Nothing new was stored: every article "
                              "was already there unchanged (any others refused)."},
                        413: {"description": "The upload is larger than BYLINE_MAX_UPLOAD_BYTES."},
                        415: {"description": "Neither JSON nor multipart, or no file of a supported type."},
                        422: {"description": "Nothing could be stored; the detail gives each file's reason."}})
async def add_documents(request: Request, response: Response, archive: ArchiveDep,
                        settings: SettingsDep) -> IngestResult:
    """JSON (`{id, text, title?, source?, url?, published?}`) or a multipart upload of files
    (.txt, .md, .html, .jsonl) in the field `files`. Each file is stored or refused on its own:
    `files` says per file which ids were added, replaced, unchanged or refused (with the reason).
    201 if anything was added or replaced, 200 if nothing new was; 422 if every file was refused."""
    limit = settings.max_upload_bytes
    length = int(request.headers.get("content-length") or 0)
    if length > limit:
        raise HTTPException(413, f"upload too large: {length} bytes (limit {limit})")
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        uploads = [await _json_document(request, limit)]
    elif ctype.startswith("multipart/form-data"):
        uploads = await _files(request, limit)
    else:
        raise HTTPException(415, "send application/json or multipart/form-data")
    result = await run_in_threadpool(_ingest, archive, uploads)
    if not (result.added or result.replaced or result.unchanged):
        every_unsupported = all(f.reason == UNSUPPORTED for f in result.files)
        raise HTTPException(415 if every_unsupported else 422,
                            "; ".join(f"{f.file}: {f.reason}" if f.file else str(f.reason) for f in result.files))
    if not (result.added or result.replaced):
        response.status_code = 200
    return result


async def _json_document(request: Request, limit: int) -> Upload:
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"upload too large (limit {limit} bytes)")
    try:
        payload = DocumentIn.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise HTTPException(422, f"bad document: {problems}") from None
    try:
        return Upload(None, [from_record(payload.model_dump(), "document")])
    except ArticleError as exc:
        raise HTTPException(422, str(exc)) from None


async def _files(request: Request, limit: int) -> list[Upload]:
    form = await request.form()
    files = [f for f in form.getlist("files") + form.getlist("file") if hasattr(f, "read")]
    if not files:
        raise HTTPException(422, "no file in the upload: send them in the field 'files'")
    uploads = []
    for f in files:
        data = await f.read()
        name = f.filename or "upload.txt"
        if len(data) > limit:
            raise HTTPException(413, f"{name}: too large (limit {limit} bytes)")
        if not name.lower().endswith(SUPPORTED):
            uploads.append(Upload(name, refused=UNSUPPORTED))
            continue
        try:
            drafts = list(from_bytes(name, data))
        except ArticleError as exc:
            uploads.append(Upload(name, refused=str(exc).removeprefix(f"{name}: ")))
            continue
        uploads.append(Upload(name, drafts) if drafts else Upload(name, refused="no article in the file"))
    return uploads


def _ingest(archive: Archive, uploads: list[Upload]) -> IngestResult:
    result = IngestResult(added=[], replaced=[], unchanged=[], passages=0)
    for up in uploads:
        if up.refused is not None:
            result.files.append(FileResult(file=up.file, ids=[], status="refused", reason=up.refused))
            continue
        report = archive.ingest_drafts(up.drafts)  # written under the archive's own write lock
        result.passages += report.passages
        stored = set()
        for status in ("added", "replaced", "unchanged"):
            ids = getattr(report, status)
            if ids:
                getattr(result, status).extend(ids)
                stored.update(ids)
                result.files.append(FileResult(file=up.file, ids=ids, status=status))
        refused = [d.id for d in up.drafts if d.id not in stored]
        if refused or report.failed:
            result.files.append(FileResult(file=up.file, ids=refused, status="refused",
                                           reason="; ".join(report.failed) or "not stored"))
    return result
