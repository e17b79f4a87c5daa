"""Nothing leaves the machine: ingest and ask run with sockets disabled."""
import pytest
from pytest_socket import SocketBlockedError, disable_socket, enable_socket

from tests.conftest import copy_seeds


def test_ingest_and_ask_without_network(tmp_path, settings):
    from qa.archive import Archive

    disable_socket(allow_unix_socket=True)
    try:
        import socket

        with pytest.raises(SocketBlockedError):
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s = settings.model_copy(update={"data_dir": tmp_path / "data", "seeds_dir": copy_seeds(tmp_path / "seeds")})
        archive = Archive(s)  # loads the embedding model from its package, offline
        report = archive.ensure_seeded(progress=False)
        assert len(report.added) == 5
        a = archive.ask("Who invited Zarif to Baghdad in 2025?")
        assert "al-Hakim" in a.answer
        archive.close()
    finally:
        enable_socket()
