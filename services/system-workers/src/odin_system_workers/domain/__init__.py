"""Pure rules of the system workers: no I/O, no FastAPI."""
