"""ONNX Runtime encodes a question and short phrases exactly as sentence-transformers does."""
import logging

import numpy as np

from qa.ingest.embeddings import FAST_BATCH, model_path
from qa.ingest.onnx_encoder import _weights_digest, onnx_encoder

TEXTS = [
    "Who invited Zarif to Baghdad in 2025?",
    "Seyyed Ammar al-Hakim",
    "",  # an empty text is two special tokens, pooled like any other
    "Ünïcode – “quotes”, Ærø and 東京",
    "$7 million",
    "The prime minister said the talks would resume next week. " * 40,  # past 256 tokens: truncated alike
]


def test_onnx_vectors_are_sentence_transformers_vectors(embedder):
    assert embedder.fast is not None, "the ONNX encoder is on by default for all-MiniLM-L6-v2"
    expected = embedder.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
    got = embedder.encode(TEXTS)  # a short batch: ONNX Runtime's
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5
    for text, vector in zip(TEXTS, expected):  # one at a time: no padding at all
        assert np.abs(embedder.fast.encode([text])[0] - vector).max() < 1e-5


def test_long_batches_stay_with_sentence_transformers(embedder, monkeypatch):
    calls = []
    monkeypatch.setattr(embedder.fast, "encode", lambda texts: calls.append(len(texts)))
    embedder.encode(["a text"] * (FAST_BATCH + 1))
    assert calls == []
    embedder.encode(["a text"] * FAST_BATCH)
    assert calls == [FAST_BATCH]


def test_the_export_is_kept_and_reused(embedder, settings):
    folder = settings.onnx_dir()
    files = list(folder.glob("all-MiniLM-L6-v2-*.onnx"))
    assert len(files) == 1 and _weights_digest(model_path("all-MiniLM-L6-v2")) in files[0].name
    before = files[0].stat().st_mtime_ns
    assert onnx_encoder(embedder.model, embedder.name, model_path(embedder.name), folder) is not None
    assert files[0].stat().st_mtime_ns == before


def test_an_unreadable_export_leaves_sentence_transformers_to_encode(embedder, tmp_path, caplog):
    folder = model_path(embedder.name)
    (tmp_path / f"all-MiniLM-L6-v2-{_weights_digest(folder)}.onnx").write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger="byline"):
        assert onnx_encoder(embedder.model, embedder.name, folder, tmp_path) is None
    assert "ONNX Runtime is off" in caplog.text
