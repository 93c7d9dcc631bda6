"""REST floor: Litestar under uvicorn answering a 300-byte JSON object by id from a dict, on
the registry's event loop; what `GET /artifacts/model/{id}` would cost with nothing behind it.

    uv run python bench/floor/floor_rest.py --port 8101 [--artifacts 10000]
"""

from __future__ import annotations

import argparse

import uvicorn
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

from app.eventloop import run


def build(count: int) -> Litestar:
    artifacts = {
        str(i): {
            "metadata": {"id": str(i), "name": f"c{i // 25}-m{i % 25}", "type": "model"},
            "data": {"url": f"https://huggingface.co/bench/c{i // 25}-m{i % 25}"},
            "license": "apache-2.0",
            "size_bytes": 123_456_789,
            "created_by": "bench",
            "created_at": "2026-12-06T00:00:00Z",
            "revision": "a" * 40,
            "net_score": 0.5,
        }
        for i in range(1, count + 1)
    }

    @get("/artifacts/model/{id:str}")
    async def read(id: str) -> dict[str, object]:  # noqa: A002 - the registry's name
        if (found := artifacts.get(id)) is None:
            raise NotFoundException
        return found

    return Litestar([read])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--artifacts", type=int, default=10_000)
    args = parser.parse_args()
    # No access line, as the registry writes none for a request answered 2xx by default.
    config = uvicorn.Config(
        build(args.artifacts), host="127.0.0.1", port=args.port, access_log=False
    )
    run(uvicorn.Server(config).serve())
