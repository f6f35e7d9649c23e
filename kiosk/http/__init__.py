"""The HTTP side: middleware, body validation, one REST module per area, the pages.

No business rules here: a handler turns a request into a service call on the database
thread and its result into JSON.
"""
