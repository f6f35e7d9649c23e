"""Live screens: the hub (registry, render rounds, outboxes), the socket endpoints and
the wire dialects. A change is rendered once per group and written as the same bytes
to every socket of it; a slow socket costs only its own outbox."""
