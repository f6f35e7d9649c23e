"""The rules of the shop as pure functions over plain data: no I/O, no aiohttp, no peewee."""
