"""Alembic migrations (env.py, script.py.mako, versions/): the only source of the schema, shipped with the code."""
