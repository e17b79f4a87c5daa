"""ONNX Runtime encodes a question and short phrases as sentence-transformers does."""
import logging
import shutil

import numpy as np
from qa.ingest.embeddings import SHORT_BATCH, Embedder, model_path
from qa.ingest.onnx_encoder import OnnxEncoder, _weights_digest, load_onnx_encoder

TEXTS = [
    "Who won the Nevada primary this week?",
    "Seyyed Ammar al-Hakim",
    "",  # an empty text is two special tokens, pooled like any other
    "Ünïcode – “quotes”, Ærø and 東京",
    "$7 million",
    "The prime minister said the talks would resume next week. " * 40,  # past 256 tokens: truncated alike
]


def st_vectors(embedder, texts):
    return embedder.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def test_onnx_vectors_are_sentence_transformers_vectors(embedder):
    assert embedder.short_batch_encoder is not None, "ONNX Runtime is on by default for all-MiniLM-L6-v2"
    expected = st_vectors(embedder, TEXTS)
    got = embedder.encode(TEXTS)  # a short batch: ONNX Runtime's
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5
    for text, vector in zip(TEXTS, expected):  # one at a time: no padding at all
        assert np.abs(embedder.short_batch_encoder.encode([text])[0] - vector).max() < 1e-5


def test_long_batches_stay_with_sentence_transformers(embedder, monkeypatch):
    calls = []
    monkeypatch.setattr(embedder.short_batch_encoder, "encode", lambda texts: calls.append(len(texts)))
    embedder.encode(["a text"] * (SHORT_BATCH + 1))
    assert calls == []
    embedder.encode(["a text"] * SHORT_BATCH)
    assert calls == [SHORT_BATCH]


def test_the_export_is_kept_readable_and_reused(embedder, settings):
    folder = settings.onnx_dir()
    files = [f for f in folder.glob("all-MiniLM-L6-v2-*.onnx") if not f.stem.endswith("-int8")]
    assert len(files) == 1 and _weights_digest(model_path("all-MiniLM-L6-v2")) in files[0].name
    assert files[0].stat().st_mode & 0o044, "others sharing the folder can read the export"
    before = files[0].stat().st_mtime_ns
    assert load_onnx_encoder(lambda: embedder.model, embedder.name, model_path(embedder.name), folder) is not None
    assert files[0].stat().st_mtime_ns == before
    assert not list(folder.glob("*.tmp"))


def test_a_damaged_export_is_made_again(embedder, settings, tmp_path, caplog):
    weights = model_path(embedder.name)
    damaged = tmp_path / f"all-MiniLM-L6-v2-{_weights_digest(weights)}.onnx"
    damaged.write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger="byline"):
        encoder = load_onnx_encoder(lambda: embedder.model, embedder.name, weights, tmp_path)
    assert encoder is not None and "exporting it again" in caplog.text
    assert damaged.stat().st_size > 1_000_000
    assert np.abs(encoder.encode(TEXTS[:2]) - st_vectors(embedder, TEXTS[:2])).max() < 1e-5


def test_vectors_that_differ_leave_sentence_transformers_to_encode(embedder, settings, tmp_path, monkeypatch, caplog):
    exported = next(settings.onnx_dir().glob("all-MiniLM-L6-v2-*.onnx"))
    shutil.copy(exported, tmp_path / exported.name)
    real = OnnxEncoder.encode
    monkeypatch.setattr(OnnxEncoder, "encode", lambda self, texts: real(self, texts) + 1e-3)
    exports = []
    monkeypatch.setattr("qa.ingest.onnx_encoder._export",
                        lambda model, path: exports.append(shutil.copy(exported, path)))  # as fast as a copy
    with caplog.at_level(logging.WARNING, logger="byline"):
        assert load_onnx_encoder(lambda: embedder.model, embedder.name, model_path(embedder.name), tmp_path) is None
    assert len(exports) == 1, "the cached file is exported again once, then given up on"
    assert "differ from sentence-transformers'" in caplog.text and "ONNX Runtime is off" in caplog.text


def test_an_unwritable_cache_leaves_sentence_transformers_to_encode(embedder, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("where the folder should be")
    with caplog.at_level(logging.WARNING, logger="byline"):
        assert load_onnx_encoder(lambda: embedder.model, embedder.name, model_path(embedder.name), blocked) is None
    assert "ONNX Runtime is off" in caplog.text


def test_onnx_can_be_turned_off(settings):
    assert settings.model_copy(update={"embedding_onnx": False}).onnx_dir() is None
    assert Embedder(onnx_dir=None).short_batch_encoder is None


def test_processes_starting_together_export_once(embedder, settings, tmp_path, monkeypatch):
    import threading
    import time

    exported = next(f for f in settings.onnx_dir().glob("all-MiniLM-L6-v2-*.onnx") if not f.stem.endswith("-int8"))
    exports = []

    def slow_export(model, path):  # as a real export would, but a copy
        exports.append(path)
        time.sleep(0.5)
        shutil.copy(exported, path)

    monkeypatch.setattr("qa.ingest.onnx_encoder._export", slow_export)
    found = []
    starts = [threading.Thread(target=lambda: found.append(
        load_onnx_encoder(lambda: embedder.model, embedder.name, model_path(embedder.name), tmp_path))) for _ in range(2)]
    for t in starts:
        t.start()
    for t in starts:
        t.join()
    assert len(exports) == 1 and len(found) == 2 and all(e is not None for e in found)


def test_onnx_runtime_failing_mid_request_leaves_sentence_transformers_to_answer(settings, monkeypatch, caplog):
    own = Embedder(onnx_dir=settings.onnx_dir())  # not the shared one: this turns its ONNX off

    def broken(texts):
        raise RuntimeError("the session failed")

    monkeypatch.setattr(own.short_batch_encoder, "encode", broken)
    with caplog.at_level(logging.WARNING, logger="byline"):
        got = own.encode(TEXTS[:2])
    assert np.abs(got - st_vectors(own, TEXTS[:2])).max() < 1e-6
    assert own.short_batch_encoder is None and "ONNX Runtime failed" in caplog.text


def test_a_checked_export_loads_again_without_the_model(embedder, settings, tmp_path):
    exported = next(f for f in settings.onnx_dir().glob("all-MiniLM-L6-v2-*.onnx") if not f.stem.endswith("-int8"))
    shutil.copy(exported, tmp_path / exported.name)
    loads = []

    def model():
        loads.append(1)
        return embedder.model

    weights = model_path(embedder.name)
    first = load_onnx_encoder(model, embedder.name, weights, tmp_path)
    assert first is not None and loads == [1], "no record yet: checked against the model itself"
    assert (tmp_path / f"{exported.stem}.probes.json").is_file()
    again = load_onnx_encoder(model, embedder.name, weights, tmp_path)
    assert again is not None and loads == [1], "checked against the record: the model is not loaded"
    assert np.abs(again.encode(TEXTS) - st_vectors(embedder, TEXTS)).max() < 1e-5


def test_a_record_from_other_versions_or_other_vectors_is_not_trusted(embedder, settings, tmp_path):
    import json

    exported = next(f for f in settings.onnx_dir().glob("all-MiniLM-L6-v2-*.onnx") if not f.stem.endswith("-int8"))
    shutil.copy(exported, tmp_path / exported.name)
    weights = model_path(embedder.name)
    assert load_onnx_encoder(lambda: embedder.model, embedder.name, weights, tmp_path) is not None
    record = tmp_path / f"{exported.stem}.probes.json"
    data = json.loads(record.read_text())
    loads = []

    def model():
        loads.append(1)
        return embedder.model

    record.write_text(json.dumps({**data, "versions": {**data["versions"], "torch": "0.0.1"}}))
    assert load_onnx_encoder(model, embedder.name, weights, tmp_path) is not None and loads == [1]
    wrong = np.asarray(data["vectors"]) + 1e-3  # a record that lies: the model decides, and is right
    record.write_text(json.dumps({**data, "vectors": wrong.tolist()}))
    assert load_onnx_encoder(model, embedder.name, weights, tmp_path) is not None and loads == [1, 1]
    assert np.abs(np.asarray(json.loads(record.read_text())["vectors"]) - np.asarray(data["vectors"])).max() < 1e-6


def test_questions_are_answered_without_loading_sentence_transformers(embedder, settings):
    fresh = Embedder(onnx_dir=settings.onnx_dir())  # the shared embedder's export and record exist
    vector = fresh.embed_query_vector("Who invited Zarif to Baghdad in 2025?")
    assert fresh._model is None, "a question needs ONNX Runtime only"
    assert fresh.dim == embedder.dim == vector.shape[0]
    assert np.abs(vector - st_vectors(embedder, ["Who invited Zarif to Baghdad in 2025?"])[0]).max() < 1e-5
    fresh.warm()
    assert fresh._model is not None
