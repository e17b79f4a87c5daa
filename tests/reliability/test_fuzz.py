"""Fuzzing the API against its own OpenAPI document with schemathesis: every operation, cases
generated from the schema (valid ones, and invalid ones that must be refused), each checked for
server errors, status codes, content types and headers the document declares, and response
bodies that match their schemas. Bounded in `make test` (a fixed seed, ~1,000 cases); 10,000+
with BYLINE_RELIABILITY_LONG=1. The embedder is hashed words: the plumbing, not the model.
The figures go to test-output/fuzz.json (fuzz-long.json)."""
from __future__ import annotations

import json
import time

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import copy_seeds
from tests.reliability.conftest import LONG, bounded

# A body too large for its cap is refused with 413: a rejection as good as a 422.
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]}}})
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
# Per operation and mode (about 20 operations, 2 modes): ~1,200 cases bounded, ~11,000 long.
EXAMPLES = bounded(50, 450)


def test_every_operation_keeps_its_contract(settings, hash_embedder, tmp_path, output_dir):
    from api.app import create_app
    from qa.archive import Archive

    s = settings.model_copy(update={"data_dir": tmp_path / "data", "seeds_dir": copy_seeds(tmp_path / "seeds")})
    archive = Archive(s, embedder=hash_embedder)
    app = create_app(s, archive)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    cases: dict[str, int] = {}
    failures: list[str] = []
    started = time.monotonic()
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                key = f"{operation.label} ({mode.value})"

                @hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case):
                    cases[key] = cases.get(key, 0) + 1
                    try:
                        case.call_and_validate(checks=CHECKS)
                    except (FailureGroup, Exception) as exc:  # every failure is kept, and the run goes on
                        failures.append(f"{key}: {str(exc).strip()[:3000]}")

                try:
                    run()
                except Unsatisfiable:  # nothing to make invalid: an operation with no parameters
                    assert mode == GenerationMode.NEGATIVE, key
    finally:
        archive.close()
    total = sum(cases.values())
    (output_dir / ("fuzz-long.json" if LONG else "fuzz.json")).write_text(json.dumps(
        {"cases": total, "failures": len(failures), "seconds": round(time.monotonic() - started),
         "by_operation": cases, "first_failures": failures[:20]}, indent=1))
    assert len({k.rsplit(" (", 1)[0] for k in cases}) >= 18  # every operation was fuzzed
    assert total >= bounded(1_000, 10_000)
    assert not failures, f"{len(failures)} of {total} cases failed:\n" + "\n\n".join(failures[:8])
