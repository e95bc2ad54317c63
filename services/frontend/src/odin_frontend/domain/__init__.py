"""Pure rules of the frontend: no I/O, no FastAPI."""
