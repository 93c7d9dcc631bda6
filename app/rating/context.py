"""Everything a metric may ask about the model being scored.

Accessors are async and memoized: the first caller starts the fetch, later and concurrent
callers share it, and HTTP requests are deduplicated again below by the upstream session.
Independent data (card, config, code repo, datasets) is fetched concurrently because each
metric awaits only what it needs, and all metrics run at once."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from huggingface_hub import DatasetInfo, ModelInfo

from app.errors import UpstreamError, UpstreamGatedError, UpstreamNotFoundError
from app.mirror.entities import RepoFile
from app.rating.cards import Card, parse_card
from app.rating.links import NamedParent, linked_code_repo, linked_datasets, parent_links
from app.safety.service import ModelWeightsScan, ScanBudget, scan_model_weights
from app.safety.weights import RangeReader
from app.upstream.cache import is_commit_id
from app.upstream.clients import UpstreamView

T = TypeVar("T")

#: Work on smaller inputs runs on the event loop: handing it to a thread costs more than it
#: does (a loop wake-up per result, and contention for the interpreter lock). At 64 KiB a
#: card takes a few milliseconds to parse; above it, a thread keeps other ingests moving.
OFF_LOOP_MIN_BYTES = 64 * 1024
LIST_ITEM_BYTES = 200
#: Why what needs a gated model's files does not apply: the hub serves its metadata and
#: history to anyone, its files (the card's text, config.json) only with a token.
GATED_REASON = "gated: set TMR_HF_TOKEN to a token with access to read the model's files"


@dataclass(frozen=True, slots=True)
class RegisteredParent:
    """A parent model as the registry knows it (None fields: not registered or not rated)."""

    repo_id: str
    artifact_id: str | None
    net_score: float | None


ParentLookup = Callable[[list[str]], Awaitable[list[RegisteredParent]]]


class LinkedCards:
    """Parsed cards of linked datasets at a commit, shared by the ingests of a process: many
    models name the same few datasets, whose cards (front matter listing hundreds of configs)
    cost more to parse than anything else in a model's scoring. A commit's card never changes."""

    def __init__(self, max_entries: int = 64) -> None:
        self._max_entries = max_entries
        self._cards: OrderedDict[tuple[str, str], Card] = OrderedDict()

    def get(self, repo_id: str, commit: str) -> Card | None:
        card = self._cards.get((repo_id.lower(), commit))
        if card is not None:
            self._cards.move_to_end((repo_id.lower(), commit))
        return card

    def put(self, repo_id: str, commit: str, card: Card) -> None:
        self._cards[(repo_id.lower(), commit)] = card
        while len(self._cards) > self._max_entries:
            self._cards.popitem(last=False)


@dataclass(frozen=True, slots=True)
class DatasetData:
    repo_id: str
    info: DatasetInfo
    #: With ``card_readable`` False (a gated dataset read without a token) the card holds the
    #: hub's public ``cardData`` and no text.
    card: Card
    card_readable: bool = True


@dataclass(frozen=True, slots=True)
class CodeRepoData:
    repo_id: str
    repo: dict[str, Any]
    head_sha: str


class ScoringContext:
    def __init__(
        self,
        model_id: str,
        upstream: UpstreamView,
        parents: ParentLookup,
        linked_cards: LinkedCards | None = None,
        scan_budget: ScanBudget | None = None,
    ) -> None:
        self.model_id = model_id
        self._scan_budget = scan_budget or ScanBudget()
        self.upstream = upstream
        self._lookup_parents = parents
        self._linked_cards = LinkedCards() if linked_cards is None else linked_cards
        self._memo: dict[str, asyncio.Future[Any]] = {}
        self._files_gated = False

    async def _once(self, key: str, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        future = self._memo.get(key)
        if future is None:
            future = asyncio.ensure_future(make())
            self._memo[key] = future
        result: T = await asyncio.shield(future)
        return result

    @staticmethod
    async def cpu(fn: Callable[..., T], *args: Any, size: int) -> T:  # noqa: ANN401
        """CPU-bound work (parsing a card, walking a tree) over ``size`` bytes of input
        (a list counts ``LIST_ITEM_BYTES`` per item): off the event loop when it is large."""
        if size < OFF_LOOP_MIN_BYTES:
            return fn(*args)
        return await asyncio.to_thread(fn, *args)

    # -- the model ---------------------------------------------------------------------------
    async def info(self) -> ModelInfo:
        async def fetch() -> ModelInfo:
            info, _ = await self.upstream.hf.model_info(self.model_id)
            return info

        return await self._once("info", fetch)

    async def revision(self) -> str:
        return (await self.info()).sha or "main"

    async def reference_time(self) -> datetime:
        """ "Now" for recency: the model's last upstream change, so that the same upstream
        data always gives the same rating."""
        info = await self.info()
        return info.last_modified or info.created_at or datetime(1970, 1, 1, tzinfo=UTC)

    async def readme(self) -> str:
        """The card's text; "" when there is none or the repo is gated (see
        :meth:`files_gated`)."""

        async def fetch() -> str:
            try:
                body = await self.upstream.hf.file(
                    self.model_id, "README.md", revision=await self.revision()
                )
            except UpstreamGatedError:
                self._files_gated = True
                return ""
            return "" if body is None else body.decode("utf-8", errors="replace")

        return await self._once("readme", fetch)

    async def files_gated(self) -> bool:
        """True when the model is gated and no token opens its files: its card's text cannot
        be read, only the hub's public metadata (``cardData``, tags, sizes, history)."""
        await self.readme()
        return self._files_gated

    async def card_data(self) -> dict[str, Any]:
        """The card's front matter as the hub's public metadata serves it."""
        card_data = (await self.info()).card_data
        # huggingface_hub leaves CardData.to_dict unannotated; it returns the front matter.
        return card_data.to_dict() if card_data is not None else {}  # type: ignore[no-untyped-call]

    async def card(self) -> Card:
        """The parsed card; for a gated model, its public front matter and no text."""

        async def parse() -> Card:
            readme = await self.readme()
            if await self.files_gated():
                return Card(metadata=await self.card_data(), body="", headings=(), code_blocks=())
            return await self.cpu(parse_card, readme, size=len(readme))

        return await self._once("card", parse)

    async def hub_commits(self) -> list[dict[str, Any]]:
        """The model repo's own history on the hub, newest first, from the scored revision."""

        async def fetch() -> list[dict[str, Any]]:
            try:
                return await self.upstream.hf.commits(self.model_id, revision=await self.revision())
            except UpstreamNotFoundError:
                return []

        return await self._once("hub_commits", fetch)

    async def file_names(self) -> list[str]:
        return [s.rfilename for s in (await self.info()).siblings or []]

    async def weights_scan(self) -> ModelWeightsScan:
        """The model's weight files inspected by byte ranges at the scored revision, within
        the scan budget (app.safety): never downloaded, never unpickled."""

        async def scan() -> ModelWeightsScan:
            revision = await self.revision()
            files = [
                RepoFile(s.rfilename, s.size or 0, None, None)
                for s in (await self.info()).siblings or []
            ]

            def reader(path: str) -> RangeReader:
                async def read(start: int, end: int) -> bytes:
                    return await self.upstream.hf.read_range(
                        self.model_id, path, revision=revision, start=start, end=end
                    )

                return read

            return await scan_model_weights(files, reader, self._scan_budget)

        return await self._once("weights_scan", scan)

    async def config(self) -> dict[str, Any] | None:
        async def fetch() -> dict[str, Any] | None:
            if "config.json" not in await self.file_names():
                return None
            try:
                body = await self.upstream.hf.file(
                    self.model_id, "config.json", revision=await self.revision()
                )
            except UpstreamGatedError:
                return None
            try:
                data = json.loads(body) if body else None
            except ValueError:
                return None
            return data if isinstance(data, dict) else None

        return await self._once("config", fetch)

    # -- what it links to --------------------------------------------------------------------
    async def parents(self) -> list[NamedParent]:
        async def find() -> list[NamedParent]:
            config, card = await asyncio.gather(self.config(), self.card())
            return parent_links(self.model_id, config, card)

        return await self._once("parents", find)

    async def registered_parents(self) -> list[RegisteredParent]:
        async def find() -> list[RegisteredParent]:
            return await self._lookup_parents([p.repo_id for p in await self.parents()])

        return await self._once("registered_parents", find)

    async def dataset_ids(self) -> list[str]:
        card, info = await asyncio.gather(self.card(), self.info())
        return linked_datasets(card, info.tags)

    async def datasets(self) -> list[DatasetData]:
        """The linked datasets that exist upstream (missing ones are left out)."""

        async def fetch() -> list[DatasetData]:
            found = await asyncio.gather(*(self._dataset(d) for d in await self.dataset_ids()))
            return [d for d in found if d is not None]

        return await self._once("datasets", fetch)

    async def _dataset(self, repo_id: str) -> DatasetData | None:
        """None when the dataset cannot be had (not on the hub, refused); an outage is raised,
        since it says nothing about the dataset."""
        try:
            info, _ = await self.upstream.hf.dataset_info(repo_id, file_sizes=False)
        except UpstreamError as exc:
            if exc.retryable:
                raise
            return None
        commit = info.sha if is_commit_id(info.sha) else None
        card = None if commit is None else self._linked_cards.get(repo_id, commit)
        if card is None:
            try:
                body = await self.upstream.hf.file(
                    repo_id, "README.md", revision=info.sha or "main", repo_type="dataset"
                )
            except UpstreamGatedError:
                # The dataset exists and its metadata is public; only its files are gated.
                card_data = info.card_data.to_dict() if info.card_data else {}  # type: ignore[no-untyped-call]
                gated = Card(metadata=card_data, body="", headings=(), code_blocks=())
                return DatasetData(info.id or repo_id, info, gated, card_readable=False)
            text = "" if body is None else body.decode(errors="replace")
            card = await self.cpu(parse_card, text, size=len(text))
            if commit is not None:
                self._linked_cards.put(repo_id, commit, card)
        return DatasetData(repo_id=info.id or repo_id, info=info, card=card)

    async def code_repo_id(self) -> str | None:
        return linked_code_repo(await self.card(), self.model_id)

    async def code(self) -> CodeRepoData | None:
        """The linked GitHub repo, if there is one and it exists."""

        async def fetch() -> CodeRepoData | None:
            repo_id = await self.code_repo_id()
            if repo_id is None:
                return None
            try:
                repo = await self.upstream.github.repo(repo_id)
                branch = str(repo.get("default_branch") or "main")
                sha = await self.upstream.github.commit_sha(repo_id, branch)
            except UpstreamError as exc:
                if exc.retryable:  # an outage says nothing about the repo
                    raise
                return None
            return CodeRepoData(
                repo_id=str(repo.get("full_name") or repo_id), repo=repo, head_sha=sha
            )

        return await self._once("code", fetch)

    async def code_tree(self) -> list[dict[str, Any]]:
        async def fetch() -> list[dict[str, Any]]:
            code = await self.code()
            return (
                [] if code is None else await self.upstream.github.tree(code.repo_id, code.head_sha)
            )

        return await self._once("code_tree", fetch)
