"""Odin matching: task queues on Redis Streams and worker long polls."""
