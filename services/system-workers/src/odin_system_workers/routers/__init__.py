"""HTTP routes of the system workers (operations endpoints only)."""
