"""How qa's types are kept in a PassageStore, which knows nothing of them: the two mappings,
in both directions, in one place (offsets and spans travel as JSON lists in `metadata`)."""
from __future__ import annotations

from qa.types import Article, Passage, PublishedDate, Span
from vectorstore import StoredArticle, StoredPassage


def stored_article(article: Article, digest: str) -> StoredArticle:
    return StoredArticle(
        doc_id=article.id, text=article.text, content_hash=digest, title=article.title,
        source=article.source, url=article.url,
        published_start=article.published.start if article.published else None,
        published_end=article.published.end if article.published else None,
        metadata={"title_inferred": article.title_inferred,
                  "title_evidence": article.title_evidence, "source_evidence": article.source_evidence,
                  "published": article.published.model_dump(mode="json") if article.published else None},
    )


def stored_passage(p: Passage) -> StoredPassage:
    return StoredPassage(
        doc_id=p.doc_id, ordinal=p.ordinal, start=p.start, end=p.end, text=p.text,
        metadata={"sentences": [[s.start, s.end] for s in p.sentences],
                  "entities": [[e.start, e.end, e.label] for e in p.entities]},
    )


def article_from_stored(stored: StoredArticle) -> Article:
    pub = stored.metadata.get("published")
    return Article(
        id=stored.doc_id, title=stored.title, title_inferred=bool(stored.metadata.get("title_inferred")),
        title_evidence=stored.metadata.get("title_evidence"),
        source=stored.source, source_evidence=stored.metadata.get("source_evidence"), url=stored.url,
        published=PublishedDate.model_validate(pub) if pub else None, text=stored.text,
    )


def passage_from_stored(stored: StoredPassage) -> Passage:
    return Passage(
        doc_id=stored.doc_id, ordinal=stored.ordinal, start=stored.start, end=stored.end, text=stored.text,
        sentences=[Span(s, e) for s, e in stored.metadata.get("sentences", [])],
        entities=[Span(s, e, label) for s, e, label in stored.metadata.get("entities", [])],
    )
