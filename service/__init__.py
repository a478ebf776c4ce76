"""The HTTP and database shell around the pure core in ``claims``."""
