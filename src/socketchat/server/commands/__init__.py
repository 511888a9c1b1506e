"""IRC commands: the declarative table (`table.py`), the dispatcher, and one module per area.

- `registration.py`: CAP, PASS, NICK, USER, PING, PONG, QUIT
- `channels.py`: JOIN, PART, NAMES, TOPIC;  `moderation.py`: KICK, INVITE
- `modes.py`: MODE (parsing in `modeparse.py`, sans-I/O)
- `messaging.py`: PRIVMSG, NOTICE, TAGMSG
- `users.py`: AWAY, SETNAME, and `change_host` (CHGHOST);  `monitor.py`: MONITOR
- `queries.py`: WHO/WHOX, WHOIS, WHOWAS, LIST, ISON, USERHOST, MOTD, LUSERS, VERSION, TIME
- `operator.py`: OPER, KILL
- `accounts.py`, `history.py`: SASL/REGISTER and CHATHISTORY (with the storage)
- `visibility.py`: who may see whom (+i users, +s channels, operators)
"""
