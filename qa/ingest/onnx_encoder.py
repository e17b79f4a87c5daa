"""Short batches of texts (a question, an answer's candidate phrases) encoded by ONNX Runtime:
the vectors sentence-transformers gives, to within 1e-5 (checked at load), in about half the
time on CPU. Here a question takes 5 ms instead of 12, eight short phrases 11 ms instead of 19.

Long batches (ingest's passages) stay with sentence-transformers, which reads long texts faster
here (23 passages/s against 19).

The model is exported from the loaded sentence-transformers model with torch.onnx the first
time (about 6 s, a file of 90 MB). The file is kept in a cache folder, named by a digest of the
weights. Optimum's exporter, which sentence-transformers' own ONNX backend uses, needs
transformers < 4.58, and Byline pins 5.23. So the export, the mean pooling and the check against
sentence-transformers are written here.
"""
from __future__ import annotations

import fcntl
import hashlib
import inspect
import logging
import os
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger("byline")

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Checked one at a time and as one padded batch: a question, a name, an empty text, other
# scripts, and a text past the model's 256 tokens (truncated alike).
PROBES = ("Who invited Zarif to Baghdad in 2025?", "Seyyed Ammar al-Hakim", "", "Ærø, “Zürich” – 東京",
          "Iraq's prime minister said on Thursday that the visit, the third this year, would go ahead. " * 30)
TOLERANCE = 1e-5  # largest difference from sentence-transformers accepted, per coordinate


class OnnxEncoder:
    """Normalised mean-pooled vectors from an exported transformer, tokenized exactly as
    sentence-transformers tokenizes (its own preprocess)."""

    def __init__(self, model, session):
        self.model = model  # the SentenceTransformer, for its tokenizer and its settings
        self.session = session
        self.inputs = [i.name for i in session.get_inputs()]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        batch = self.model.preprocess(list(texts))
        ids = batch["input_ids"].numpy().astype(np.int64)
        mask = batch["attention_mask"].numpy().astype(np.int64)
        given = {"input_ids": ids, "attention_mask": mask,
                 "token_type_ids": batch["token_type_ids"].numpy().astype(np.int64)
                 if "token_type_ids" in batch else np.zeros_like(ids)}
        hidden = self.session.run(None, {name: given[name] for name in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def load_onnx_encoder(model, name: str, weights_folder: Path, cache_dir: Path) -> OnnxEncoder | None:
    """The encoder for a loaded sentence-transformers model, or None where the model is not a
    mean-pooled transformer, or ONNX Runtime can't give its vectors. The log says why, and
    sentence-transformers encodes everything."""
    try:
        if not _mean_pooled(model):
            return None
        slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-40:]
        path = cache_dir / f"{slug}-{_weights_digest(weights_folder)}.onnx"
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _exclusive(cache_dir / f"{path.name}.lock"):  # servers starting together export it once
            if path.is_file():
                try:
                    return _checked(model, path)
                except Exception as exc:  # noqa: BLE001 - a damaged or stale file: exported again, once
                    log.warning("the ONNX export %s can't be used (%s); exporting it again", path, exc)
                    path.unlink(missing_ok=True)
            _export(model, path)
            return _checked(model, path)
    except Exception as exc:  # noqa: BLE001 - any failure leaves sentence-transformers to encode
        log.warning("ONNX Runtime is off, sentence-transformers encodes everything: %s", exc)
        return None


@contextmanager
def _exclusive(lock: Path):
    """Held by one process (or thread) at a time: the others wait, then find the file made."""
    with lock.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _checked(model, path: Path) -> OnnxEncoder:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # No busy-waiting between calls: on two cores it would take time from spaCy and the ranker.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    encoder = OnnxEncoder(model, onnxruntime.InferenceSession(str(path), options,
                                                              providers=["CPUExecutionProvider"]))
    expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False)
    alone = np.stack([encoder.encode([text])[0] for text in PROBES])
    difference = max(float(np.abs(encoder.encode(PROBES) - expected).max()),
                     float(np.abs(alone - expected).max()))
    if difference > TOLERANCE:
        raise ValueError(f"its vectors differ from sentence-transformers' by {difference:.2g}")
    return encoder


def _mean_pooled(model) -> bool:
    kinds = [type(m).__name__ for m in model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return False
    return model[1].get_config_dict().get("pooling_mode") == "mean"


def _weights_digest(folder: Path) -> str:
    """A digest of the model's files that decide its vectors: a model changed in place is exported again."""
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        if file.is_file() and (file.suffix in (".safetensors", ".bin") or file.name == "config.json"):
            digest.update(str(file.relative_to(folder)).encode())
            with file.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def _export(model, path: Path) -> None:
    import torch

    transformer = model[0].auto_model
    names = [n for n in INPUTS if n in inspect.signature(transformer.forward).parameters]

    class LastHiddenState(torch.nn.Module):
        """The transformer called with keyword arguments: BertModel's positional order changed
        in transformers 5, and not every model takes token_type_ids."""

        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors):
            return self.transformer(**dict(zip(names, tensors))).last_hidden_state

    batch = model.preprocess(["an example", "a second, longer example sentence"])
    example = tuple(batch[n] if n in batch else torch.zeros_like(batch["input_ids"]) for n in names)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the final name, then renamed: two processes exporting at once both succeed.
    fd, tmp = tempfile.mkstemp(suffix=".onnx.tmp", dir=path.parent)
    os.close(fd)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer's notes on the model's Python branches; the check against
            # sentence-transformers (one text, a padded batch, a truncated text) is what decides.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState().eval(), example, tmp, input_names=names, output_names=["last_hidden_state"],
                opset_version=17, dynamo=False,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in (*names, "last_hidden_state")},
            )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; others sharing the folder read it too
        os.replace(tmp, path)
        log.info("exported the embedding model to ONNX: %s", path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
