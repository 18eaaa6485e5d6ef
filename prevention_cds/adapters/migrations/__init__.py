"""Alembic migrations of the workspace tables (``alembic`` reads this folder; see workspace_db.py)."""
