"""socketchat: a chat server that speaks IRC, and the clients to use it."""

__version__ = "0.1.0"
