"""The use cases: join, call, start, complete, reorder, check in, book, ...

Each write is a plain synchronous function run on the database thread inside a
savepoint (store/database.py). It validates against the current state, changes the
rows, appends exactly ONE event describing everything it changed, and returns an
`Outcome` with the resource for the caller and that event for the hub. Reads return
plain dicts in full (unredacted); redaction is the renderer's job. Nothing here
formats a wire message or awaits.
"""
