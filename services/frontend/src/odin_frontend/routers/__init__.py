"""HTTP only: parse and validate the request, hand it to a use case, relay the answer."""
