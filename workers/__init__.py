"""The arq worker: thin jobs that call ``app`` services."""
