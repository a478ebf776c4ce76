"""The pure core of ipsbill: billing rules, milestones, the 837P writer and inbound EDI.

Nothing in this package touches a database, an HTTP request, a settings object or the clock;
an import-linter contract (pyproject.toml) keeps it that way.
"""
