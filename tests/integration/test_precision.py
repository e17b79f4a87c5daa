"""Passage precisions (fp32, bf16, int8): vectors close to fp32's, kept apart in the cache and
the store, and a store that refuses vectors of another precision."""
import numpy as np
import pytest

from qa.archive import Archive
from qa.ingest.embeddings import Embedder, EmbeddingCache
from vectorstore import StoreError

# Hand-made passages, as an ingest embeds them: a headline, then the story.
PASSAGES = [
    "Zarif arrives in Baghdad\nIran's foreign minister Mohammad Javad Zarif arrived in Baghdad on Sunday "
    "at the invitation of Seyyed Ammar al-Hakim, the head of the Hikma movement.",
    "Oil prices rose 3% on Tuesday after OPEC+ agreed to extend its output cuts into the second quarter.",
    "A magnitude 5.1 earthquake struck near Kermanshah, Iran's seismology centre said; no deaths were reported.",
    "The 37-year-old striker scored twice as Al-Shorta beat Al-Zawraa 2-1 in the Iraqi Premier League.",
    "Kurdistan Region President Nechirvan Barzani received the Iranian delegation in Irbil, his office said. " * 4,
]


@pytest.fixture(scope="module")
def exact(embedder):
    return embedder.model.encode(PASSAGES, normalize_embeddings=True)


@pytest.fixture(scope="module", params=["int8", "bf16"])
def precise(request, settings):
    return Embedder(onnx_dir=settings.onnx_dir(), precision=request.param)


def test_vectors_stay_close_to_fp32(precise, exact):
    cosine = (precise.encode_passages(PASSAGES) * exact).sum(axis=1)
    if precise.precision == "bf16":
        assert cosine.min() >= 0.999, cosine
    else:  # int8: 0.994 on average over real passages, 0.988 at worst
        assert cosine.mean() >= 0.99 and cosine.min() >= 0.98, cosine
    # A passage's vector barely depends on the batch it was encoded in: int8 quantises the
    # activations with one scale per batch, so its vectors move a little more (0.992 here).
    alone = np.stack([precise.encode_passages([p])[0] for p in PASSAGES])
    together = (alone * precise.encode_passages(PASSAGES)).sum(axis=1)
    assert together.min() > (0.999 if precise.precision == "bf16" else 0.985), together


def test_a_question_is_encoded_in_fp32_whatever_the_passages(precise, embedder):
    question = "Who invited Zarif to Baghdad?"
    assert np.abs(precise.embed_query_vector(question) - embedder.model.encode(question, normalize_embeddings=True)).max() < 1e-5


def test_the_cache_keeps_each_precision_apart(tmp_path, settings, precise):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    fp32 = Embedder(cache=cache, onnx_dir=settings.onnx_dir())
    other = Embedder(cache=cache, onnx_dir=settings.onnx_dir(), precision=precise.precision)
    a, b = fp32.embed(PASSAGES[:2]), other.embed(PASSAGES[:2])
    assert not np.array_equal(a, b), "the second precision read the first's vectors from the cache"
    assert np.array_equal(other.embed(PASSAGES[:2]), b)  # and then its own
    rows = dict(cache._db.execute("SELECT model, COUNT(*) FROM embeddings GROUP BY model").fetchall())
    assert rows == {"all-MiniLM-L6-v2": 2, f"all-MiniLM-L6-v2+{precise.precision}": 2}
    cache.close()


def test_a_store_refuses_another_precision_and_auto_follows_its_own(tmp_path, settings):
    s = settings.model_copy(update={"data_dir": tmp_path, "embedding_precision": "int8"})
    a = Archive(s)
    a.ensure_seeded(progress=False)
    assert a.store.count_articles() == 5 and a.embedder.space == "all-MiniLM-L6-v2+int8"
    assert "al-Hakim" in a.ask("Who invited Zarif to Baghdad in 2025?").answer
    a.close()
    for refused in ("fp32", "bf16"):
        with pytest.raises(StoreError, match=r"all-MiniLM-L6-v2\+int8.*BYLINE_EMBEDDING_PRECISION"):
            Archive(s.model_copy(update={"embedding_precision": refused}))
    again = Archive(s.model_copy(update={"embedding_precision": "auto"}))
    assert again.embedder.precision == "int8" and again.store.count_articles() == 5
    again.close()


def test_an_unknown_precision_is_a_clear_error():
    with pytest.raises(ValueError, match="expected one of fp32, bf16, int8"):
        Embedder(precision="fp16")
    with pytest.raises(ValueError, match="4-bit already"):
        Embedder("multilingual-e5-small", precision="int8")


def test_a_bf16_twin_that_fails_its_check_is_said_once_and_not_made_again(settings, monkeypatch):
    from qa.errors import EmbeddingUnavailable

    own = Embedder(onnx_dir=settings.onnx_dir(), precision="bf16")
    made = []

    def failing(twin):
        made.append(twin)
        raise ValueError("bf16 embeddings are at a cosine of 0.9 to fp32's on this machine")

    monkeypatch.setattr(own, "_check_bf16", failing)
    own.warm()  # logged, not raised: the server is up and answers questions
    for _ in range(2):
        with pytest.raises(EmbeddingUnavailable, match="cosine of 0.9"):
            own.encode_passages(["A passage to store."])
    assert len(made) == 1
