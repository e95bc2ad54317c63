"""The SDK's machinery: definitions, the deterministic workflow event loop and replay."""
