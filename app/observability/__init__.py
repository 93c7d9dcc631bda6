"""What operators see: structured logs and Prometheus metrics.

Nothing here imports a web framework: the worker and the domain services use it too, and the
import contracts keep workers and services free of Litestar and Strawberry.
"""
