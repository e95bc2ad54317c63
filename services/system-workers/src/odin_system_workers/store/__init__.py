"""SQLAlchemy Core queries of the system workers."""
