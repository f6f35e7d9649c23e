"""Wire dialects: one module per front end the appliance speaks to unchanged.

Each is an adapter over the one hub: it parses its clients' messages and renders
server messages as pure functions of committed state and events.
"""
