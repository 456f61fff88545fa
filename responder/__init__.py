"""The outbox: send queued replies through the connector, at most once."""
