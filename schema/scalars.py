from __future__ import annotations

from typing import NewType

import strawberry

# GraphQL's Int is 32-bit; model sizes are not.
BigInt = NewType("BigInt", int)

SCALAR_MAP = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="An integer that may exceed 32 bits (sizes in bytes).",
        serialize=int,
        parse_value=int,
    ),
}
