"""Print the GraphQL SDL: ``uv run python -m schema > schema.graphql``."""

import sys

from schema import build_schema

sys.stdout.write(str(build_schema()) + "\n")
