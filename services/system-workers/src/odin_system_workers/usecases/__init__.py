"""The operations of the system workers, one module each."""
