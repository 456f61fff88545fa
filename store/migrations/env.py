from alembic import context
from sqlalchemy import create_engine

from store.models import Base, built_on


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=lambda item, _name, _type, _reflected, _compared: built_on(connection.dialect.name, item),
    )
    with context.begin_transaction():
        context.run_migrations()


run()
