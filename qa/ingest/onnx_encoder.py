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

Texts are tokenized by the `tokenizers` library from the model's own tokenizer file, and the
check against sentence-transformers' vectors is recorded beside the export (its vectors of the
probes, and the package versions that gave them). A later start checks the export against that
record: serving questions then never loads sentence-transformers' copy of the model, which is
most of what a cold start cost.
"""
from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import logging
import os
import tempfile
import warnings
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Sequence

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
    """Normalised mean-pooled vectors from an exported transformer, tokenized as
    sentence-transformers tokenizes (its tokenizer file, its length limit; the check at load
    compares the vectors)."""

    def __init__(self, tokenizer, session):
        self.tokenizer = tokenizer  # a `tokenizers.Tokenizer`, truncating and padding (fast_tokenizer)
        self.session = session
        self.inputs = [i.name for i in session.get_inputs()]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(*self._tokenized(texts))

    def encode_sorted(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """encode() in batches of texts of similar token length, so padding costs next to nothing;
        the vectors come back in the texts' order. The texts are tokenized once, padded to the
        longest; each batch is cut to its own longest (padding is on the right)."""
        ids, mask, types = self._tokenized(texts)
        lengths = mask.sum(axis=1)
        order = np.argsort(lengths, kind="stable")[::-1]
        parts = []
        for i in range(0, len(texts), batch_size):
            rows = order[i: i + batch_size]
            width = int(lengths[rows].max())
            parts.append(self._run(ids[rows, :width], mask[rows, :width], types[rows, :width]))
        vectors = np.concatenate(parts)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    def _tokenized(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Stripped, as sentence-transformers strips each text before tokenizing it.
        encodings = self.tokenizer.encode_batch([str(t).strip() for t in texts])
        return tuple(np.array([getattr(e, part) for e in encodings], dtype=np.int64)
                     for part in ("ids", "attention_mask", "type_ids"))

    def _run(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        given = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(None, {name: given[name] for name in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    @property
    def dim(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])


def fast_tokenizer(folder: Path, max_length: int):
    """The model's own tokenizer file, truncating at sentence-transformers' length (the file's
    own settings, 128 tokens padded to 128 for all-MiniLM-L6-v2, are not the ones it uses) and
    padding each batch to its longest text."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    pad = tokenizer.padding or {}
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_type_id=pad.get("pad_type_id", 0),
                             pad_token=pad.get("pad_token", "[PAD]"))
    return tokenizer


def load_onnx_encoder(load_model: Callable[[], Any], name: str, weights_folder: Path, cache_dir: Path,
                      int8: bool = False) -> OnnxEncoder | None:
    """The encoder for a sentence-transformers model (its int8 quantisation with `int8`), or None
    where the model is not a mean-pooled transformer, or ONNX Runtime can't give its vectors. The
    log says why, and sentence-transformers encodes everything.

    `load_model` gives the loaded sentence-transformers model, and is called only where it is
    needed: to export, and to check an export no record vouches for. Once checked, an export's
    record (sentence-transformers' vectors of the probes, with the versions that computed them)
    is kept beside it, and later loads check against the record: a server starts without loading
    PyTorch's copy of the model (about 3 s of its start here)."""
    try:
        slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-40:]
        path = cache_dir / f"{slug}-{_weights_digest(weights_folder)}.onnx"
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _exclusive(cache_dir / f"{path.name}.lock"):  # servers starting together export it once
            reference = Reference(load_model, _record_path(path))
            # Made before the export is loaded: a tokenizer that can't be read turns ONNX Runtime
            # off; it is no reason to throw a good export away (_made makes a failing file again).
            tokenizer = fast_tokenizer(weights_folder, reference.max_length())

            def check(file: Path, as_int8: bool = False) -> OnnxEncoder:
                return _checked(reference, file, tokenizer, weights_folder, as_int8)

            if not int8:
                return _made(path, lambda: _export(reference.model(), path), check)
            if not path.is_file():  # quantised from the fp32 export
                _export(reference.model(), path)
            quantised = path.with_name(f"{path.stem}-int8.onnx")
            return _made(quantised, lambda: _quantise(path, quantised),
                         lambda p: check(p, as_int8=True))
    except Exception as exc:  # noqa: BLE001 - any failure leaves sentence-transformers to encode
        log.warning("ONNX Runtime is off%s: %s", " for int8" if int8 else ", sentence-transformers encodes everything", exc)
        return None


class Reference:
    """What an export is checked against: sentence-transformers' vectors of PROBES and the length
    it truncates at, read from the export's record where one was written under the installed
    versions, else from the model itself (loaded then, and the record written once an export
    passes)."""

    def __init__(self, load_model: Callable[[], Any], record: Path):
        self._load_model, self.record = load_model, record
        self._model = None
        self.from_record = False
        self._vectors: np.ndarray | None = None
        self._max_length = 0
        try:
            data = json.loads(record.read_text())
            vectors = np.asarray(data["vectors"], dtype=np.float32)
            if data["versions"] == versions() and data["probes"] == list(PROBES) \
                    and vectors.ndim == 2 and len(vectors) == len(PROBES):
                self._vectors, self._max_length = vectors, int(data["max_seq_length"])
                self.from_record = True
        except (OSError, ValueError, KeyError, TypeError):
            pass  # none yet, or unreadable: the model decides

    def model(self):
        if self._model is None:
            model = self._load_model()
            if not _mean_pooled(model):
                raise ValueError("the model is not a mean-pooled transformer")
            self._model = model
        return self._model

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = probe_vectors(self.model())
        return self._vectors

    def max_length(self) -> int:
        return self._max_length or int(self.model().max_seq_length)

    def forget(self) -> None:
        """The record is not trusted (an export failed its check against it): the model decides."""
        self.record.unlink(missing_ok=True)
        self.from_record, self._vectors, self._max_length = False, None, 0

    def save(self) -> None:
        if self.from_record:
            return
        data = {"versions": versions(), "max_seq_length": self.max_length(), "probes": list(PROBES),
                "vectors": self.vectors().tolist()}
        with _beside(self.record, suffix=".json.tmp") as tmp:
            Path(tmp).write_text(json.dumps(data))
        self.from_record = True


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


def _checked(reference: Reference, path: Path, tokenizer, weights_folder: Path, int8: bool = False) -> OnnxEncoder:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # No busy-waiting between calls: on two cores it would take time from spaCy and the ranker.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    try:
        encoder = OnnxEncoder(tokenizer, session)
        _compare(encoder, reference.vectors(), int8)
    except ValueError:
        if not reference.from_record:
            raise
        reference.forget()  # the record may be what is wrong: the model itself decides (and its length)
        encoder = OnnxEncoder(fast_tokenizer(weights_folder, reference.max_length()), session)
        _compare(encoder, reference.vectors(), int8)
    reference.save()
    return encoder


def _compare(encoder: OnnxEncoder, expected: np.ndarray, int8: bool) -> None:
    """Raises where the encoder's vectors of PROBES, one at a time and as one padded batch, are
    not sentence-transformers'."""
    alone = np.stack([encoder.encode([text])[0] for text in PROBES])
    if int8:  # quantised: held to the direction of each passage's vector, not to its coordinates
        passages = [i for i, text in enumerate(PROBES) if text]
        cosine = min(float((encoder.encode([PROBES[i] for i in passages]) * expected[passages]).sum(axis=1).min()),
                     float((alone[passages] * expected[passages]).sum(axis=1).min()))
        if cosine < INT8_COSINE:
            raise ValueError(f"its vectors are at a cosine of {cosine:.4f} to sentence-transformers'")
        return
    difference = max(float(np.abs(encoder.encode(PROBES) - expected).max()),
                     float(np.abs(alone - expected).max()))
    if difference > TOLERANCE:
        raise ValueError(f"its vectors differ from sentence-transformers' by {difference:.2g}")


def _record_path(export: Path) -> Path:
    return export.with_name(f"{export.stem}.probes.json")


def versions() -> dict[str, str]:
    """The packages whose versions decide sentence-transformers' vectors and the export's: a record
    written under others is not trusted."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("sentence-transformers", "transformers", "torch", "tokenizers", "onnxruntime"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = ""
    return out


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


# Besides the weights, the files that decide a text's vectors: the model's and the pooling's
# configuration, the modules, and sentence-transformers' length limit and casing.
DECIDING_FILES = {"config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json"}


def _weights_digest(folder: Path) -> str:
    """A digest of the model's files that decide its vectors: a model changed in place is exported again."""
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        if file.is_file() and (file.suffix in (".safetensors", ".bin") or file.name in DECIDING_FILES):
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
def _beside(path: Path, suffix: str = ".onnx.tmp"):
    """A temporary file beside path, renamed onto it once written (two processes making it at
    once both succeed), readable by others sharing the folder; removed if writing fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=path.parent)
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
