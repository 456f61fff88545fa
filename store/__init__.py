"""SQLAlchemy models, engine and sessions, migrations; rules about one record."""
