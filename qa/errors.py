"""One family of errors that Byline reports to a person in one line: the CLI prints the message
and exits non-zero, the API answers 4xx (or 503 for a generator) with it as `detail`."""


class BylineError(Exception):
    """Something went wrong that the user can act on; the message says what, in one line."""


class ArticleError(BylineError, ValueError):
    """An article that can't be read; the message says which and why."""


class GeneratorUnavailable(BylineError, RuntimeError):
    """The configured generator can't run here (a missing extra or model file)."""


class ModelError(BylineError, RuntimeError):
    """A local model that can't be assembled (missing parts, a sha256 that doesn't match)."""


class EmbeddingUnavailable(BylineError, RuntimeError):
    """Passages can't be encoded here at the configured precision (bf16 too far from fp32)."""
