"""The seam for readers: every generator the settings accept has a registered reader, and the
readers import nothing of the asker (the cycle qa/generate ↔ qa/ask/service is gone)."""
import ast
from pathlib import Path
from typing import get_args

from qa.ask.readers import READERS, ExtractiveReader, reader_for
from qa.settings import GeneratorKind, Settings


def test_every_generator_the_settings_accept_has_a_reader():
    assert set(get_args(GeneratorKind)) == set(READERS)
    assert isinstance(reader_for(Settings(generator="extractive")), ExtractiveReader)
    assert reader_for(Settings(generator="openai", openai_model="m")).name == "openai:m"


def test_the_readers_import_nothing_of_the_asker():
    """Not at the top, not inside a function, not for type checking."""
    root = Path(__file__).resolve().parents[2]
    for path in [*(root / "qa" / "generate").glob("*.py"), root / "qa" / "reading.py", root / "qa" / "ask" / "readers.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):  # "from qa.ask import service" too
                names = [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not any(n.startswith("qa.ask.service") for n in names), f"{path.name} imports the asker"


def test_an_asker_copied_onto_a_snapshot_searches_the_snapshot():
    """Archive._over copies the asker and gives it a snapshot: every search of the question must
    read that one committed state, not the live store the asker was built with."""
    import copy
    from datetime import date
    from types import SimpleNamespace

    from qa.ask.question import analyse
    from qa.ask.service import Asker
    from qa.types import Query

    live, snapshot = object(), object()
    asker = Asker(Settings(), live, SimpleNamespace(encode=None))
    over = copy.copy(asker)
    over.store = snapshot
    retriever, _ = over.retriever(analyse("Who won?", date(2024, 1, 1)), "Who won?", Query("Who won?"))
    assert retriever.store is snapshot
