"""Every command the server understands, in one declarative table.

Columns: the handler, the minimum number of parameters, whether it may run before registration,
whether it needs operator privilege, and its flood-control cost (`spec.Cost`: every command costs
at least one unit; work that grows with the arguments or the answer costs in proportion).
`dispatch.py` applies them.
"""

from __future__ import annotations

from socketchat.server import chanserv
from socketchat.server.commands import (
    accounts,
    admin,
    channels,
    history,
    messaging,
    metadata,
    moderation,
    modes,
    monitor,
    multiline,
    operator,
    queries,
    readmarker,
    redact,
    registration,
    search,
    serverinfo,
    users,
    webirc,
    webpush,
)
from socketchat.server.commands.spec import Command, Cost

# Costs that grow with the work (see `spec.Cost`).
_TARGETS = Cost(per_target=1)  # each extra target is one more delivery
_CHANNELS = Cost(per_channel=1, lines_per_unit=20)  # each channel joined/left; names, replay
_LISTING = Cost(per_target=1, lines_per_unit=20)  # answers that grow with the server

COMMANDS: dict[str, Command] = {
    # registration and keep-alive
    "CAP": Command(registration.handle_cap, 1, before_registration=True),
    "PASS": Command(registration.handle_pass, 1, before_registration=True),
    # a web gateway's client address (scrypt checks its password: costs like OPER)
    "WEBIRC": Command(webirc.handle_webirc, 4, before_registration=True, cost=Cost(5)),
    "NICK": Command(registration.handle_nick, 0, before_registration=True),
    "USER": Command(registration.handle_user, 4, before_registration=True),
    "PING": Command(registration.handle_ping, 1, before_registration=True),
    "PONG": Command(registration.handle_pong, 0, before_registration=True),
    "QUIT": Command(registration.handle_quit, 0, before_registration=True),
    # channels
    "JOIN": Command(channels.handle_join, 1, cost=_CHANNELS),
    "PART": Command(channels.handle_part, 1, cost=_CHANNELS),
    "NAMES": Command(channels.handle_names, 0, cost=_LISTING),
    "TOPIC": Command(channels.handle_topic, 1),
    "RENAME": Command(channels.handle_rename, 2),
    "MODE": Command(modes.handle_mode, 1),
    "KICK": Command(moderation.handle_kick, 2, cost=_TARGETS),
    "INVITE": Command(moderation.handle_invite, 0),  # alone: the list of one's invites
    # messages
    "PRIVMSG": Command(messaging.handle_privmsg, 0, cost=_TARGETS),
    "NOTICE": Command(messaging.handle_notice, 0, cost=_TARGETS),
    "TAGMSG": Command(messaging.handle_tagmsg, 1, cost=_TARGETS),
    "BATCH": Command(multiline.handle_batch_command, 1),
    "CHATHISTORY": Command(history.handle_chathistory, 1, cost=Cost(2, lines_per_unit=10)),
    # a full-text search reads an index and up to 100 lines: a little more than CHATHISTORY
    "SEARCH": Command(search.handle_search, 1, cost=Cost(3, lines_per_unit=10)),
    "MARKREAD": Command(readmarker.handle_markread, 0),
    "REDACT": Command(redact.handle_redact, 2),  # draft/message-redaction
    "METADATA": Command(metadata.handle_metadata, 0, before_registration=True),
    "WEBPUSH": Command(webpush.handle_webpush, 1),  # draft/webpush
    # accounts (REGISTER hashes a password: it costs as much as 10 commands)
    "AUTHENTICATE": Command(accounts.handle_authenticate, 1, before_registration=True),
    "NS": Command(accounts.handle_ns, 1),
    "REGISTER": Command(accounts.handle_register, 3, before_registration=True, cost=Cost(10)),
    "VERIFY": Command(accounts.handle_verify, 2, before_registration=True),
    # ChanServ's shortcuts (as ergo's): CS REGISTER #class == PRIVMSG ChanServ :REGISTER #class
    "CS": Command(chanserv.handle_cs, 0),
    "CHANSERV": Command(chanserv.handle_cs, 0),
    # users
    "AWAY": Command(users.handle_away, 0, before_registration=True),  # draft/pre-away
    "SETNAME": Command(users.handle_setname, 1),
    "MONITOR": Command(monitor.handle_monitor, 1),
    # operators (OPER costs more flood credit: each try runs scrypt)
    "OPER": Command(operator.handle_oper, 2, cost=Cost(5)),
    "KILL": Command(operator.handle_kill, 1, oper_only=True),
    "WALLOPS": Command(operator.handle_wallops, 1, oper_only=True),
    "REHASH": Command(admin.handle_rehash, 0, oper_only=True),
    "KLINE": Command(admin.handle_kline, 1, oper_only=True),
    "UNKLINE": Command(admin.handle_unkline, 1, oper_only=True),
    "DLINE": Command(admin.handle_dline, 1, oper_only=True),
    "UNDLINE": Command(admin.handle_undline, 1, oper_only=True),
    "STATS": Command(admin.handle_stats, 0),
    # questions
    "WHO": Command(queries.handle_who, 0, cost=_LISTING),
    "WHOIS": Command(queries.handle_whois, 1, cost=_LISTING),
    "WHOWAS": Command(queries.handle_whowas, 1),
    "LIST": Command(queries.handle_list, 0, cost=_LISTING),
    "ISON": Command(queries.handle_ison, 1),
    "USERHOST": Command(queries.handle_userhost, 1),
    "MOTD": Command(queries.handle_motd, 0, cost=_LISTING),
    "LUSERS": Command(queries.handle_lusers, 0),
    "VERSION": Command(queries.handle_version, 0),
    "ISUPPORT": Command(queries.handle_isupport, 0, before_registration=True),
    "TIME": Command(queries.handle_time, 0),
    # the server itself
    "INFO": Command(serverinfo.handle_info, 0),
    "LINKS": Command(serverinfo.handle_links, 0),
    "ADMIN": Command(serverinfo.handle_admin, 0),
    "HELP": Command(serverinfo.handle_help, 0),
    "HELPOP": Command(serverinfo.handle_help, 0),
    "USERS": Command(serverinfo.handle_users, 0),
    "SUMMON": Command(serverinfo.handle_summon, 0),
}
