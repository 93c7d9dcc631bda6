"""A local fake of the Hugging Face Hub and the GitHub REST API, for tests and benchmarks."""

from tests.fakehub.server import DEFAULT_FIXTURES, FakeHub, RecordedRequest

__all__ = ["DEFAULT_FIXTURES", "FakeHub", "RecordedRequest"]
