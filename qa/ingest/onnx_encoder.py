"""A question and an answer's candidate phrases encoded by ONNX Runtime: the same vectors as
sentence-transformers (checked at load to 1e-5), in about half the time on CPU. Here a question
takes 5 ms instead of 12, eight short phrases 11 ms instead of 19.

Ingest's long passages stay with sentence-transformers, which reads them faster here (23
passages/s against 19).

The model is exported from the loaded sentence-transformers model with torch.onnx the first time
(about 2 s). The file is kept in a cache folder, named by a digest of the weights. Optimum's
exporter, which sentence-transformers' own ONNX backend uses, needs transformers < 4.58, and
Byline pins 5.23. So the export, the mean pooling and the check against sentence-transformers are
written here.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger("byline")

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PROBES = ("Who invited Zarif to Baghdad in 2025?", "Seyyed Ammar al-Hakim",
          "Iraq's prime minister said on Thursday that the visit, the third this year, would go ahead. " * 12)
TOLERANCE = 1e-5  # largest difference from sentence-transformers accepted, per coordinate


class OnnxEncoder:
    """Normalised mean-pooled vectors from an exported transformer, tokenized exactly as
    sentence-transformers tokenizes (its own preprocess)."""

    def __init__(self, model, session):
        self.model = model  # the SentenceTransformer, for its tokenizer settings
        self.session = session

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        batch = self.model.preprocess(list(texts))
        feed = {name: batch[name].numpy().astype(np.int64) for name in INPUTS if name in batch}
        if "token_type_ids" not in feed:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        hidden = self.session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def onnx_encoder(model, name: str, weights_folder: Path, cache_dir: Path) -> OnnxEncoder | None:
    """The encoder for a loaded sentence-transformers model, or None where the model is not a
    mean-pooled transformer, or ONNX Runtime can't give the same vectors. The log says why, and
    sentence-transformers encodes everything."""
    if not _mean_pooled(model):
        return None
    try:
        import onnxruntime

        slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-40:]
        path = cache_dir / f"{slug}-{_weights_digest(weights_folder)}.onnx"
        if not path.is_file():
            _export(model, path)
        options = onnxruntime.SessionOptions()
        # No busy-waiting between calls: on two cores it would take time from spaCy and the ranker.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        encoder = OnnxEncoder(model, session)
        expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
        difference = float(np.abs(encoder.encode(PROBES) - expected).max())
        if difference > TOLERANCE:
            log.warning("ONNX Runtime is off: its vectors differ from sentence-transformers' by %.2g", difference)
            return None
        return encoder
    except Exception as exc:  # noqa: BLE001 - any failure leaves sentence-transformers to encode
        log.warning("ONNX Runtime is off, sentence-transformers encodes everything: %s", exc)
        return None


def _mean_pooled(model) -> bool:
    kinds = [type(m).__name__ for m in model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Normalize",) for k in kinds[2:]):
        return False
    return model[1].get_config_dict().get("pooling_mode") == "mean"


def _weights_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in folder.glob("*.safetensors")) + ["config.json"]:
        file = folder / name
        if file.is_file():
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _export(model, path: Path) -> None:
    import torch

    class LastHiddenState(torch.nn.Module):  # keyword arguments: BertModel's positional order changed in transformers 5
        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state

    batch = model.preprocess(["an example", "a second, longer example sentence"])
    example = tuple(batch[name] if name in batch else torch.zeros_like(batch["input_ids"]) for name in INPUTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the final name, then renamed: two processes exporting at once both succeed.
    fd, tmp = tempfile.mkstemp(suffix=".onnx.tmp", dir=path.parent)
    os.close(fd)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on the model's Python branches
            torch.onnx.export(
                LastHiddenState(model[0].auto_model).eval(), example, tmp, input_names=list(INPUTS),
                output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")},
            )
        os.replace(tmp, path)
        log.info("exported the embedding model to ONNX: %s", path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
