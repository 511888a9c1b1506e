"""What HELP (and HELPOP) says about each command of the table.

Every command in `table.COMMANDS` has an entry, and nothing else does: `tests/server/commands/
test_serverinfo.py` checks both ways, so a command added to the table without help text (or
removed from it, leaving its text behind) fails the tests. The first line is the syntax.
"""

from __future__ import annotations

HELP: dict[str, tuple[str, ...]] = {
    "ADMIN": ("ADMIN [server]", "Who runs this server and how to reach them."),
    "AUTHENTICATE": (
        "AUTHENTICATE <mechanism | data | * | +>",
        "Logs in to an account with SASL (PLAIN) while connecting; needs the sasl capability.",
    ),
    "AWAY": ("AWAY [message]", "Marks you away with a message; without one, back again."),
    "BATCH": (
        "BATCH <+ref draft/multiline target | -ref>",
        "Sends the PRIVMSG or NOTICE lines in between as one message (draft/multiline).",
    ),
    "CAP": (
        "CAP <LS [302] | LIST | REQ <caps> | END>",
        "Negotiates IRCv3 capabilities. Registration waits for CAP END once you start.",
    ),
    "CHATHISTORY": (
        "CHATHISTORY <LATEST | BEFORE | AFTER | AROUND | BETWEEN> <target> <ref> [ref] <limit>",
        "CHATHISTORY TARGETS <timestamp=x> <timestamp=x> <limit>",
        "Reads stored history of a channel you are in or of your private conversations.",
        "A ref is * (LATEST only), msgid=<id> or timestamp=<time>.",
    ),
    "CHANSERV": (
        "CHANSERV <command> [arguments]",
        "The same as /msg ChanServ <command>: registered channels (CHANSERV HELP lists them).",
    ),
    "CS": (
        "CS <command> [arguments]",
        "Short for CHANSERV: /msg ChanServ <command> (CS HELP lists ChanServ's commands).",
    ),
    "HELP": ("HELP [command]", "Lists the commands, or explains one."),
    "HELPOP": ("HELPOP [command]", "The same as HELP."),
    "INFO": ("INFO [server]", "About the server software."),
    "INVITE": (
        "INVITE <nick> <channel> | INVITE",
        "Invites someone to a channel (operators only on +i channels); alone, your invites.",
    ),
    "ISUPPORT": (
        "ISUPPORT",
        "The server's ISUPPORT tokens (005); before registering with draft/extended-isupport.",
    ),
    "ISON": ("ISON <nick> [nick ...]", "Which of these nicks are online."),
    "JOIN": (
        "JOIN <channel>[,channel...] [key[,key...]]",
        "Joins channels (creating them if needed); JOIN 0 leaves all of them.",
    ),
    "KICK": ("KICK <channel> <nick> [reason]", "Removes someone from a channel (operators)."),
    "KILL": ("KILL <nick> <reason>", "Disconnects someone (IRC operators)."),
    "LINKS": ("LINKS [[server] mask]", "The servers of this network: just this one."),
    "LIST": (
        "LIST [channels | conditions]",
        "Lists channels; conditions like >5 (users), C<60 (created), T>10 (topic) narrow it.",
    ),
    "LUSERS": ("LUSERS", "How many users, operators and channels there are."),
    "MARKREAD": (
        "MARKREAD <target> [timestamp=<time>]",
        "Gets or moves forward how far you have read a channel or conversation;",
        "kept for your account (across restarts) and shown to all your connections.",
    ),
    "METADATA": (
        "METADATA <target | *> <GET key... | LIST | SET key [value] | CLEAR | SYNC>",
        "METADATA * <SUB | UNSUB> <key>... | METADATA * SUBS",
        "Key/value metadata on you and your channels (draft/metadata-3).",
    ),
    "MODE": (
        "MODE <channel> [modes [params]] | MODE <nick> [modes]",
        "Shows or changes channel modes (b e I k l C i m n o s t v) or your own (i w B).",
    ),
    "MONITOR": (
        "MONITOR <+ | -> <nick>[,nick...] | MONITOR <C | L | S>",
        "Tells you when the nicks you follow come online or leave.",
    ),
    "MOTD": ("MOTD [server]", "The message of the day."),
    "NAMES": (
        "NAMES [channel[,channel...]]",
        "Who is in a channel; without one, in every channel you can see.",
    ),
    "NICK": ("NICK <nick>", "Sets or changes your nickname."),
    "NS": ("NS <command>", "Shorthand for /msg NickServ <command> (NS HELP lists them)."),
    "NOTICE": (
        "NOTICE <target>[,target...] <text>",
        "Like PRIVMSG, but never answered automatically.",
    ),
    "OPER": ("OPER <name> <password>", "Makes you an IRC operator."),
    "PART": ("PART <channel>[,channel...] [reason]", "Leaves channels."),
    "PASS": ("PASS <password>", "The server password, sent before NICK and USER."),
    "PING": ("PING <token>", "Asks the server for a PONG."),
    "PONG": ("PONG <token>", "Answers the server's PING."),
    "PRIVMSG": (
        "PRIVMSG <target>[,target...] <text>",
        "Sends a message to a channel (@#chan for its operators) or a nick.",
    ),
    "QUIT": ("QUIT [reason]", "Disconnects."),
    "REDACT": (
        "REDACT <target> <msgid> [:reason]",
        "Deletes a message (draft/message-redaction): your own, or any in a channel you operate.",
        "It leaves the history; clients with the capability remove it from view.",
    ),
    "RENAME": (
        "RENAME <channel> <new name> [reason]",
        "Renames a channel (its operators); everything but the name stays.",
    ),
    "REGISTER": (
        "REGISTER <* | your nick> <email | *> <password>",
        "Creates an account named after your nick and logs you in.",
    ),
    "KLINE": (
        "KLINE [<duration>] <user@host | $a:account> [:<reason>]",
        "Bans matching users from the server, now and at every connect (IRC operators).",
    ),
    "UNKLINE": ("UNKLINE <mask>", "Lifts a K-line (IRC operators)."),
    "DLINE": (
        "DLINE [<duration>] <ip | cidr> [:<reason>]",
        "Refuses connections from an address or network (IRC operators).",
    ),
    "UNDLINE": ("UNDLINE <ip | cidr>", "Lifts a D-line (IRC operators)."),
    "STATS": ("STATS <k | d | u>", "K-lines, D-lines (IRC operators), uptime."),
    "REHASH": (
        "REHASH",
        "Reloads the configuration file without dropping anyone (IRC operators).",
    ),
    "SEARCH": (
        "SEARCH <text=words;in=target;from=nick;after=time;before=time;limit=n>",
        "Searches the history you may read (soju.im/search); every attribute is optional.",
        "Write a space in a value as \\s, e.g. SEARCH text=meeting\\sroom;in=#class.",
    ),
    "SETNAME": ("SETNAME <realname>", "Changes your real name (the setname capability)."),
    "SUMMON": ("SUMMON <user>", "Not available here (445)."),
    "TAGMSG": ("TAGMSG <target>", "A message with only tags (reactions, typing)."),
    "TIME": ("TIME [server]", "The server's time."),
    "TOPIC": ("TOPIC <channel> [topic]", "Shows or sets a channel's topic."),
    "USER": (
        "USER <username> 0 * <realname>",
        "Your username and real name, sent once while connecting.",
    ),
    "USERHOST": ("USERHOST <nick> [nick ...]", "The user@host of up to five nicks."),
    "USERS": ("USERS [server]", "Not available here (446)."),
    "VERIFY": ("VERIFY <account> <code>", "Completes a registration (none needs it here)."),
    "VERSION": ("VERSION [server]", "The server software and its ISUPPORT tokens."),
    "WALLOPS": ("WALLOPS <text>", "Sends a message to everyone with user mode +w (operators)."),
    "WEBIRC": (
        "WEBIRC <password> <gateway> <hostname> <ip> [:options]",
        "For web IRC gateways: before registering, gives the address of the user it connects"
        " for. Only from a configured gateway's hosts, with its password.",
    ),
    "WEBPUSH": (
        "WEBPUSH REGISTER <endpoint> <keys> | UNREGISTER <endpoint>",
        "Push notifications (draft/webpush) for your account's device; browsers and apps send"
        " it, not people. The server's key is ISUPPORT VAPID.",
    ),
    "WHO": ("WHO <mask> [%fields]", "Who matches a channel, nick or host mask."),
    "WHOIS": ("WHOIS <nick>", "About someone who is online."),
    "WHOWAS": ("WHOWAS <nick> [count]", "About someone who has left."),
}
