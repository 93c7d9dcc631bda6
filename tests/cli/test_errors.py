"""What the user sees when the client cannot do its work: one line naming the fix, exit code
2, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.embedded import free_port
from tests.cli.conftest import Tmr


def _one_line_failure(done_stderr: str, returncode: int) -> str:
    assert returncode == 2
    assert "Traceback" not in done_stderr
    lines = done_stderr.strip().splitlines()
    assert len(lines) == 1, done_stderr
    return lines[0]


def test_no_token_says_run_tmr_login(server: str, tmr: Tmr) -> None:
    done = tmr("search", "--regex", ".", server=server)
    assert "tmr login" in _one_line_failure(done.stderr, done.returncode)


def test_a_refused_token_says_run_tmr_login(server: str, tmr: Tmr, tmp_path: Path) -> None:
    folder = tmp_path / "home" / ".config" / "tmr"
    folder.mkdir(parents=True)
    (folder / "token").write_text(json.dumps({server: "expired.or.forged"}))
    for command in (("rate", "x"), ("ingest", "https://huggingface.co/openai/whisper-tiny")):
        done = tmr(*command, server=server)
        assert "tmr login" in _one_line_failure(done.stderr, done.returncode), command


def test_an_unreachable_server_is_one_line(tmr: Tmr) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    done = tmr("login", "--password-stdin", stdin="x\n", server=nobody)
    assert "cannot reach" in _one_line_failure(done.stderr, done.returncode)


def test_help_loads_no_server_stack() -> None:
    probe = (
        "import sys, app.cli\n"
        "try:\n    app.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(' '.join(sys.modules))"
    )
    loaded = {
        name.split(".")[0]
        for name in subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stderr.split()
    }
    assert not loaded & {"litestar", "strawberry", "pymongo", "arq", "uvicorn", "httpx", "rich"}
