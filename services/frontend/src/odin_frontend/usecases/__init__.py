"""What the frontend does with a validated request: where it goes, and the checks on the way."""
