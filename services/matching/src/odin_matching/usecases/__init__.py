"""One module per operation of matching."""
