"""The wire contract: pydantic models of the public REST API (API.md) and of the internal
calls between services. The frontend validates and documents with these models, history and
matching parse with them, so the contract is written once.
"""
