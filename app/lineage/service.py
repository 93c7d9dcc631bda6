"""Lineage traversal: one batched lookup per level and direction, whatever the fan-out (two
round trips on the store, both by ``_id``: app.artifacts.repository), so a graph costs at most
``1 + 2 * depth`` round trips per direction; the two directions walk concurrently.

Parents are found by the names a model's config.json and card give; children by the models
that name it. Names, not stored ids, drive the walk, so a parent registered after its
children is found from both sides at once; a visited set ends cycles in bad metadata."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from app.artifacts.entities import Artifact
from app.artifacts.service import ArtifactService
from app.errors import ValidationError
from app.lineage.entities import LineageDirection, LineageEdge, LineageGraph, LineageNode

MAX_DEPTH = 50
#: The source of the queried model's own node in a registered view: its config named it.
ROOT_SOURCE = "config_json"


@dataclass(frozen=True, slots=True)
class RegisteredNode:
    artifact: Artifact
    source: str  # how the link to it was found (config_json | model_card)


@dataclass(frozen=True, slots=True)
class RegisteredEdge:
    parent: Artifact
    child: Artifact
    relationship: str
    source: str


@dataclass(frozen=True, slots=True)
class RegisteredLineage:
    """A lineage graph restricted to registered models (the queried one always among them)
    and the links between them, as the course spec draws it."""

    nodes: tuple[RegisteredNode, ...]
    edges: tuple[RegisteredEdge, ...]


class LineageService:
    def __init__(self, artifacts: ArtifactService) -> None:
        self._artifacts = artifacts

    async def graph(
        self,
        artifact_id: str,
        direction: LineageDirection = LineageDirection.BOTH,
        depth: int = 5,
    ) -> LineageGraph:
        if not 1 <= depth <= MAX_DEPTH:
            raise ValidationError(f"depth must be between 1 and {MAX_DEPTH}", field="depth")
        root = await self._artifacts.get(artifact_id)
        up, down = _Walk(root), _Walk(root)
        walks = []
        if direction in {LineageDirection.UP, LineageDirection.BOTH}:
            walks.append(self._walk_up(root, depth, up.nodes, up.edges))
        if direction in {LineageDirection.DOWN, LineageDirection.BOTH}:
            walks.append(self._walk_down(root, depth, down.nodes, down.edges))
        await asyncio.gather(*walks)
        # Ancestors first, as when the walks ran one after the other: a model that is both
        # (a cycle in bad metadata) keeps its place above the root. Walking apart, the way
        # down goes on through such a model, so its other descendants are listed too.
        nodes = up.nodes | {k: n for k, n in down.nodes.items() if k not in up.nodes}
        edges = up.edges | {k: e for k, e in down.edges.items() if k not in up.edges}
        return LineageGraph(root=root, nodes=tuple(nodes.values()), edges=tuple(edges.values()))

    async def registered(self, artifact_id: str) -> RegisteredLineage:
        """The default graph (both ways, depth 5) without the models only named in it."""
        graph = await self.graph(artifact_id)
        found = {n.name: n.artifact for n in graph.nodes if n.artifact is not None}
        edges = [e for e in graph.edges if e.parent in found and e.child in found]
        # A node's source is how the link to it was found; the queried model's own is its config.
        sources = {e.parent: e.source for e in edges} | {e.child: e.source for e in edges}
        return RegisteredLineage(
            nodes=tuple(
                RegisteredNode(n.artifact, sources.get(n.name, ROOT_SOURCE))
                for n in graph.nodes
                if n.artifact is not None
            ),
            edges=tuple(
                RegisteredEdge(found[e.parent], found[e.child], e.relationship, e.source)
                for e in edges
            ),
        )

    async def ancestors(self, artifact_id: str, depth: int = MAX_DEPTH) -> list[Artifact]:
        """Every registered ancestor, nearest first."""
        graph = await self.graph(artifact_id, LineageDirection.UP, depth)
        found = [n for n in graph.nodes if n.artifact is not None and n.distance < 0]
        return [n.artifact for n in sorted(found, key=lambda n: -n.distance) if n.artifact]

    async def _walk_up(
        self,
        root: Artifact,
        depth: int,
        nodes: dict[str, LineageNode],
        edges: dict[tuple[str, str], LineageEdge],
    ) -> None:
        frontier = [root]
        for level in range(1, depth + 1):
            named = {p.name.lower(): p.name for a in frontier for p in a.parents}
            fresh = [name for key, name in named.items() if key not in nodes]
            registered = (
                {_key(a): a for a in await self._artifacts.find_models(fresh)} if fresh else {}
            )
            for child in frontier:
                for link in child.parents:
                    key = link.name.lower()
                    if key not in nodes:
                        nodes[key] = LineageNode(link.name, registered.get(key), -level)
                    edges.setdefault(
                        (key, _key(child)),
                        LineageEdge(parent=nodes[key].name, child=_name(child), source=link.source),
                    )
            frontier = [a for a in registered.values() if a.parents]
            if not frontier:
                return

    async def _walk_down(
        self,
        root: Artifact,
        depth: int,
        nodes: dict[str, LineageNode],
        edges: dict[tuple[str, str], LineageEdge],
    ) -> None:
        frontier = [root]
        for level in range(1, depth + 1):
            by_key = {_key(a): a for a in frontier}
            found = await self._artifacts.children([_name(a) for a in frontier])
            next_frontier = []
            for child in found:
                for link in child.parents:
                    parent = by_key.get(link.name.lower())
                    if parent is None:
                        continue
                    edges.setdefault(
                        (_key(parent), _key(child)),
                        LineageEdge(parent=_name(parent), child=_name(child), source=link.source),
                    )
                if _key(child) not in nodes:
                    nodes[_key(child)] = LineageNode(_name(child), child, level)
                    next_frontier.append(child)
            frontier = next_frontier
            if not frontier:
                return


class _Walk:
    """What one direction's walk found: nodes by lower-cased name, edges by (parent, child)."""

    def __init__(self, root: Artifact) -> None:
        self.nodes: dict[str, LineageNode] = {_key(root): LineageNode(_name(root), root, 0)}
        self.edges: dict[tuple[str, str], LineageEdge] = {}


def _name(artifact: Artifact) -> str:
    return artifact.source.repo_id


def _key(artifact: Artifact) -> str:
    return artifact.source.repo_id.lower()
