"""HTTP only: parse, call a use case, map the result."""
