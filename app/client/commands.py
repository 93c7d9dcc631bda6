"""What each client command does and shows. Every command returns its exit code."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from rich import filesize
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from app.client import api, queries
from app.client.errors import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, ClientError
from app.client.subscriptions import subscribe
from app.client.tokens import save_token

out = Console()
_PROGRESS_SECONDS = 1800.0


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


def login(server: str, user: str, *, password_stdin: bool) -> int:
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass()
    token = api.login(server, user, password)
    path = save_token(server, token)
    out.print(f"Logged in to {server} as {user}; token kept in {path}")
    return EXIT_OK


def ingest(server: str, url: str, artifact_type: str, name: str | None, *, as_json: bool) -> int:
    registry = api.Registry(server)
    payload = registry.query(
        queries.INGEST, input={"url": url, "type": artifact_type.upper(), "name": name}
    )["ingest"]
    if payload.get("error"):
        error = payload["error"]
        if as_json:
            _print_json({"state": "REFUSED", "error": error})
            return EXIT_FAILED
        out.print(f"[red]refused[/] {error.get('code')}: {error.get('message')}", highlight=False)
        return EXIT_FAILED
    job_id = payload["job"]["id"]
    final = asyncio.run(_follow(registry, job_id, show=not as_json))
    if as_json:
        _print_json(final)
    return _outcome(final, show=not as_json)


async def _follow(registry: api.Registry, job_id: str, *, show: bool) -> dict[str, Any]:
    last: dict[str, Any] = {"id": job_id, "state": "QUEUED"}
    live = Live(_progress_view(last), console=out, auto_refresh=False) if show else None
    with live or contextlib.nullcontext():
        async with asyncio.timeout(_PROGRESS_SECONDS):
            async for data in subscribe(
                registry.server, registry.token, queries.PROGRESS, jobId=job_id
            ):
                last = data["ingestProgress"]
                if live is not None:
                    live.update(_progress_view(last), refresh=True)
    if live is not None and not out.is_terminal:
        out.line()  # off a terminal, Live leaves its last frame without a line end
    return last


def _progress_view(event: dict[str, Any]) -> Table:
    table = Table(title=f"ingest {event.get('id')}", show_header=False, box=None)
    passed = [change["state"] for change in event.get("history") or []]
    if passed and passed[-1] == event.get("state"):
        passed.pop()
    arrow = " → " if out.encoding.lower().startswith("utf") else " -> "
    state = Text(arrow.join(passed) + (arrow if passed else ""), style="dim")
    table.add_row("state", state.append(str(event.get("state")), style="bold"))
    for metric in event.get("partialScores") or []:
        score = f"{metric['score']:.2f}" if metric.get("applicable", True) else "n/a"
        table.add_row(f"  {metric['name']}", score)
    if event.get("netScore") is not None:
        table.add_row("net score", f"{event['netScore']:.2f}")
    gate = event.get("gate")
    if gate is not None:
        table.add_row("gate", "[green]passed[/]" if gate["passed"] else "[red]failed[/]")
    for copy in event.get("files") or []:  # MIRRORING: each file into the registry
        done, total = int(copy["doneBytes"]), int(copy["totalBytes"])
        bar = Table.grid(padding=(0, 1))
        bar.add_row(
            ProgressBar(total=max(total, 1), completed=done, width=30),
            f"{filesize.decimal(done)} / {filesize.decimal(total)}",
        )
        table.add_row(f"  {copy['path']}", bar)
    return table


def _outcome(event: dict[str, Any], *, show: bool) -> int:
    state = event.get("state")
    gate = event.get("gate") or {}
    if state == "DONE":
        artifact = event.get("artifact") or {}
        if show:
            out.print(f"[green]stored[/] {artifact.get('name')} as {artifact.get('id')}")
        return EXIT_OK
    if gate and not gate.get("passed"):
        if show:
            table = Table("metric", "score", "required", "gap", title="[red]rejected by the gate")
            for failure in gate.get("failures") or []:
                table.add_row(
                    failure["metric"],
                    f"{failure['score']:.2f}",
                    f"{failure['required']:.2f}",
                    f"{failure['gap']:.2f}",
                )
            out.print(table)
            for failure in gate.get("failures") or []:
                if failure.get("detail"):  # what the check found: the file and the import
                    out.print(f"{failure['metric']}: {failure['detail']}", highlight=False)
        return EXIT_REJECTED
    error = event.get("error") or {}
    if show:
        out.print(
            f"[red]failed[/] {error.get('code', state)}: {error.get('message', '')}",
            highlight=False,
        )
    return EXIT_FAILED


def rate(server: str, artifact_id: str, *, as_json: bool) -> int:
    artifact = _artifact(api.Registry(server).query(queries.RATING, id=artifact_id), artifact_id)
    if as_json:
        _print_json(artifact)
        return EXIT_OK
    rating = artifact.get("rating")
    if rating is None:
        out.print(f"{artifact['name']} ({artifact['type'].lower()}) has no rating: only models do")
        return EXIT_OK
    table = Table(
        "metric", "score", "applies", "why", title=f"{artifact['name']}  {artifact['id']}"
    )
    for metric in rating["metrics"]:
        why = metric.get("error") or metric.get("notApplicableReason") or metric["explanation"]
        table.add_row(
            metric["name"], f"{metric['score']:.2f}", "yes" if metric["applicable"] else "no", why
        )
    out.print(table)
    out.print(f"net score {rating['netScore']:.2f}; gate {_gate_word(artifact.get('gatePassed'))}")
    return EXIT_OK


#: How long `tmr rescore --all` waits for the pass (the worker also runs them on a schedule).
_PASS_SECONDS = 3600.0


def rescore(server: str, artifact_id: str | None, *, force: bool, as_json: bool) -> int:
    registry = api.Registry(server)
    if artifact_id is None:
        report = registry.query(queries.RESCORE_ALL, wait=_PASS_SECONDS)["rescoreAll"]
        if as_json:
            _print_json(report)
        else:
            out.print(
                f"{_many(report['checked'], 'model')} checked, {report['rescored']} rated again, "
                f"{report['failed']} left for the next pass; "
                f"{_many(report['requests'], 'conditional request')} upstream, "
                f"{report['notModified']} answered 304, {report['seconds']} s"
            )
        return EXIT_OK if report["failed"] == 0 else EXIT_FAILED
    payload = registry.query(queries.RESCORE, wait=_PASS_SECONDS, id=artifact_id, force=force)
    payload = payload["rescoreArtifact"]
    if as_json:
        _print_json(payload)
    if payload.get("error"):
        error = payload["error"]
        if not as_json:
            out.print(f"[red]not rescored[/] {error['code']}: {error['message']}", highlight=False)
        return EXIT_FAILED
    if as_json:
        return EXIT_OK
    artifact = payload["artifact"]
    if not payload["rescored"]:
        out.print(f"{artifact['name']}: nothing changed upstream; its rating stands")
        return EXIT_OK
    latest = artifact["ratingHistory"][-1]
    moved = ", ".join(
        f"{m['metric']} {_value(m['before'])} -> {_value(m['after'])}" for m in latest["moved"]
    )
    out.print(
        f"{artifact['name']} rated again ({latest['reason'].lower()}: {latest['note']}): "
        f"net score {latest['netScore']:.2f}, gate {_gate_word(artifact.get('gatePassed'))}"
        + (f"; moved: {moved}" if moved else "; no metric moved"),
        highlight=False,
    )
    return EXIT_OK


def _many(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def _value(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.2f}"


def _gate_word(passed: object) -> str:
    if passed is None:
        return "not decided"
    return "passed" if passed else "failed"


def _artifact(data: dict[str, Any], artifact_id: str) -> dict[str, Any]:
    artifact: dict[str, Any] | None = data.get("artifact")
    if artifact is None:
        raise ClientError(f"no artifact {artifact_id}")
    return artifact


def lineage(server: str, artifact_id: str, direction: str, depth: int, *, as_json: bool) -> int:
    graph = api.Registry(server).query(
        queries.LINEAGE, id=artifact_id, direction=direction.upper(), depth=depth
    )["lineage"]
    if as_json:
        _print_json(graph)
        return EXIT_OK
    out.print(_lineage_tree(graph))
    return EXIT_OK


def _lineage_tree(graph: dict[str, Any]) -> Tree:
    nodes = {node["name"]: node for node in graph["nodes"]}
    root_name = next((n["name"] for n in graph["nodes"] if n["distance"] == 0), None)
    root = graph["root"]
    tree = Tree(f"[bold]{root['name']}[/]  {root['id']}")
    if root_name is None:
        return tree
    parents: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    for edge in graph["edges"]:
        parents.setdefault(edge["child"], []).append(edge["parent"])
        children.setdefault(edge["parent"], []).append(edge["child"])
    for label, links in (("parents", parents), ("children", children)):
        if links.get(root_name):
            _grow(tree.add(f"[dim]{label}[/]"), root_name, links, nodes, {root_name})
    return tree


def _grow(
    branch: Tree,
    name: str,
    links: dict[str, list[str]],
    nodes: dict[str, dict[str, Any]],
    seen: set[str],
) -> None:
    for linked in links.get(name, []):
        if linked in seen:
            continue
        artifact = (nodes.get(linked) or {}).get("artifact")
        label = f"{linked}  {artifact['id']}" if artifact else f"{linked}  [dim](not registered)[/]"
        _grow(branch.add(label), linked, links, nodes, {*seen, linked})


def search(
    server: str, name: str | None, regex: str | None, types: list[str], *, as_json: bool
) -> int:
    registry = api.Registry(server)
    artifact_filter = {"name": name, "regex": regex, "types": [t.upper() for t in types] or None}
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = registry.query(queries.SEARCH, filter=artifact_filter, after=after)["artifacts"]
        found.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    if as_json:
        _print_json(found)
        return EXIT_OK
    table = Table("id", "name", "type", "license", "net score", "gate")
    for artifact in found:
        net = (artifact.get("rating") or {}).get("netScore")
        table.add_row(
            artifact["id"],
            artifact["name"],
            artifact["type"].lower(),
            artifact.get("license") or "",
            "" if net is None else f"{net:.2f}",
            "" if artifact.get("gatePassed") is None else _gate_word(artifact["gatePassed"]),
        )
    out.print(table)
    out.print(f"{len(found)} found")
    return EXIT_OK


def download(server: str, artifact_id: str, output: Path | None) -> int:
    registry = api.Registry(server)
    artifact = _artifact(registry.query(queries.DOWNLOAD, id=artifact_id), artifact_id)
    url = artifact.get("downloadUrl")
    if not url:
        raise ClientError(f"{artifact['name']} has no bundle to download")
    target = output or Path(f"{artifact['name'].replace('/', '_')}.zip")
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        size = registry.download(url, target, progress)
    out.print(f"saved {target} ({size} bytes)")
    return EXIT_OK
