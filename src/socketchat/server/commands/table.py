"""Every command the server understands, in one declarative table.

Columns: the handler, the minimum number of parameters, whether it may run before registration,
whether it needs operator privilege, and its flood-control cost. `dispatch.py` applies them.
"""

from __future__ import annotations

from socketchat.server.commands import channels, messaging, modes, registration
from socketchat.server.commands.spec import Command

COMMANDS: dict[str, Command] = {
    # registration and keep-alive
    "CAP": Command(registration.handle_cap, 1, before_registration=True, flood_cost=0),
    "PASS": Command(registration.handle_pass, 1, before_registration=True),
    "NICK": Command(registration.handle_nick, 1, before_registration=True),
    "USER": Command(registration.handle_user, 4, before_registration=True),
    "PING": Command(registration.handle_ping, 1, before_registration=True, flood_cost=0),
    "PONG": Command(registration.handle_pong, 0, before_registration=True, flood_cost=0),
    "QUIT": Command(registration.handle_quit, 0, before_registration=True, flood_cost=0),
    # channels
    "JOIN": Command(channels.handle_join, 1),
    "PART": Command(channels.handle_part, 1),
    "NAMES": Command(channels.handle_names, 0),
    "TOPIC": Command(channels.handle_topic, 1),
    "MODE": Command(modes.handle_mode, 1),
    # messages
    "PRIVMSG": Command(messaging.handle_privmsg, 0),
    "NOTICE": Command(messaging.handle_notice, 0),
    "TAGMSG": Command(messaging.handle_tagmsg, 1),
}
