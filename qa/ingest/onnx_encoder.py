"""Texts encoded by ONNX Runtime.

- fp32, for short batches (a question, an answer's candidate phrases): the vectors
  sentence-transformers gives, to within 1e-5 (checked at load), in about half the time on CPU.
  Here a question takes 5 ms instead of 12.
- int8, for passages when BYLINE_EMBEDDING_PRECISION=int8: the fp32 export quantised by ONNX
  Runtime's dynamic quantisation (weights per channel, MatMul only), checked at load to a cosine
  of at least 0.98 against sentence-transformers. About twice fp32's speed on long texts here,
  at a mean cosine of 0.994 to the fp32 vectors (0.988 at worst) (bf16 in PyTorch is faster and closer still, where
  the CPU has it: embeddings.py).

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
import weakref
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
# Smallest cosine to sentence-transformers' vector accepted from the int8 model, on the probes a
# passage can be (never empty): measured 0.988 to 0.996 on them, 0.988 at worst on 400 real passages.
INT8_COSINE = 0.98


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

    def encode_sorted(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """encode() in batches of texts of similar token length, so padding costs next to nothing;
        the vectors come back in the texts' order."""
        lengths = [len(ids) for ids in self.model.tokenizer(list(texts), truncation=True)["input_ids"]]
        order = np.argsort(lengths, kind="stable")[::-1]
        parts = [self.encode([texts[j] for j in order[i: i + batch_size]])
                 for i in range(0, len(texts), batch_size)]
        vectors = np.concatenate(parts)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out


def load_onnx_encoder(model, name: str, weights_folder: Path, cache_dir: Path,
                      int8: bool = False) -> OnnxEncoder | None:
    """The encoder for a loaded sentence-transformers model (its int8 quantisation with `int8`),
    or None where the model is not a mean-pooled transformer, or ONNX Runtime can't give its
    vectors. The log says why, and sentence-transformers encodes everything."""
    try:
        if not _mean_pooled(model):
            return None
        slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-40:]
        path = cache_dir / f"{slug}-{_weights_digest(weights_folder)}.onnx"
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _exclusive(cache_dir / f"{path.name}.lock"):  # servers starting together export it once
            if not int8:
                return _made(path, lambda: _export(model, path), lambda p: _checked(model, p))
            if not path.is_file():  # quantised from the fp32 export
                _export(model, path)
            quantised = path.with_name(f"{path.stem}-int8.onnx")
            return _made(quantised, lambda: _quantise(path, quantised), lambda p: _checked(model, p, int8=True))
    except Exception as exc:  # noqa: BLE001 - any failure leaves sentence-transformers to encode
        log.warning("ONNX Runtime is off%s: %s", " for int8" if int8 else ", sentence-transformers encodes everything", exc)
        return None


def _made(path: Path, make, load) -> OnnxEncoder:
    """The encoder of the file at path, made first where it is missing; a damaged or stale file is
    made again, once."""
    if path.is_file():
        try:
            return load(path)
        except Exception as exc:  # noqa: BLE001 - a damaged or stale file: made again, once
            log.warning("the ONNX export %s can't be used (%s); exporting it again", path, exc)
            path.unlink(missing_ok=True)
    make()
    return load(path)


@contextmanager
def _exclusive(lock: Path):
    """Held by one process (or thread) at a time: the others wait, then find the file made."""
    with lock.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _checked(model, path: Path, int8: bool = False) -> OnnxEncoder:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # No busy-waiting between calls: on two cores it would take time from spaCy and the ranker.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    encoder = OnnxEncoder(model, onnxruntime.InferenceSession(str(path), options,
                                                              providers=["CPUExecutionProvider"]))
    expected = probe_vectors(model)
    alone = np.stack([encoder.encode([text])[0] for text in PROBES])
    if int8:  # quantised: held to the direction of each passage's vector, not to its coordinates
        passages = [i for i, text in enumerate(PROBES) if text]
        cosine = min(float((encoder.encode([PROBES[i] for i in passages]) * expected[passages]).sum(axis=1).min()),
                     float((alone[passages] * expected[passages]).sum(axis=1).min()))
        if cosine < INT8_COSINE:
            raise ValueError(f"its vectors are at a cosine of {cosine:.4f} to sentence-transformers'")
        return encoder
    difference = max(float(np.abs(encoder.encode(PROBES) - expected).max()),
                     float(np.abs(alone - expected).max()))
    if difference > TOLERANCE:
        raise ValueError(f"its vectors differ from sentence-transformers' by {difference:.2g}")
    return encoder


_PROBE_VECTORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def probe_vectors(model) -> np.ndarray:
    """sentence-transformers' fp32 vectors of PROBES for a loaded model, encoded once: every
    check at load (the fp32 and int8 exports, bf16) compares against the same."""
    if model not in _PROBE_VECTORS:
        _PROBE_VECTORS[model] = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True,
                                             show_progress_bar=False)
    return _PROBE_VECTORS[model]


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


def _quantise(fp32: Path, path: Path) -> None:
    """The fp32 export with its MatMul weights in int8, one scale per output channel (per tensor,
    the mean cosine to fp32 was 0.95 here; per channel 0.994), activations quantised per batch."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _beside(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its advice to pre-process the model, on the root logger
        try:
            quantize_dynamic(str(fp32), tmp, op_types_to_quantize=["MatMul"], per_channel=True,
                             weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
    log.info("quantised the embedding model to int8: %s", path)


@contextmanager
def _beside(path: Path):
    """A temporary file beside path, renamed onto it once written (two processes making it at
    once both succeed), readable by others sharing the folder; removed if writing fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx.tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


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
    with _beside(path) as tmp, torch.no_grad(), warnings.catch_warnings():
        # The tracer's notes on the model's Python branches; the check against
        # sentence-transformers (one text, a padded batch, a truncated text) is what decides.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState().eval(), example, tmp, input_names=names, output_names=["last_hidden_state"],
            opset_version=17, dynamo=False,
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in (*names, "last_hidden_state")},
        )
    log.info("exported the embedding model to ONNX: %s", path)
