from __future__ import annotations

from typing import cast

from litestar.datastructures import State

from app.services import Services


def provide_services(state: State) -> Services:
    return cast("Services", state.services)
