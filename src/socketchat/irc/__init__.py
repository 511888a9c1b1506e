"""The IRC protocol, sans-I/O: messages, framing, casemapping and numerics.

Shared by the server and the clients. Nothing in this package touches a socket, a clock or a
thread: it turns bytes into `Message` objects and back.
"""

from socketchat.irc.message import Message, ParseError, parse_message

__all__ = ["Message", "ParseError", "parse_message"]
