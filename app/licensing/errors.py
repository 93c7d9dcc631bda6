from __future__ import annotations

from app.errors import NotFoundError


class GitHubRepoNotFoundError(NotFoundError):
    # Its own code: a client tells "no such artifact" from "no such GitHub repository".
    code = "upstream_not_found"

    def __init__(self, repo_id: str) -> None:
        super().__init__(f"GitHub repository {repo_id!r} does not exist")
        self.repo_id = repo_id
