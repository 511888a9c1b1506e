"""The chat clients: one sans-I/O core (`core`), its asyncio adapter (`connection`), a
thread-friendly wrapper for GUI toolkits (`threaded`) and the views (`tui`, `gui`)."""

from socketchat.client.core import ClientConfig, ClientCore, CloseRequest
from socketchat.client.events import STATUS_BUFFER

__all__ = ["STATUS_BUFFER", "ClientConfig", "ClientCore", "CloseRequest"]
