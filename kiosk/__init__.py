"""Queue Kiosk: a walk-in queue appliance in one process and one SQLite file."""

__version__ = "0.1.0"
