from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

# GraphQL's Int is 32-bit; model sizes are not.
BigInt = NewType("BigInt", int)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="An integer that may exceed 32 bits (sizes in bytes).",
        serialize=int,
        parse_value=int,
    ),
}
