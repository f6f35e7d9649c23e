"""Storage: the one database thread, the schema and its migrations, the models, the
event log and idempotency. Knows nothing of HTTP or sockets."""
