"""Odin system workers: the background jobs that are not per-shard (the task reconciler)."""
