"""What the user types: plain text for the current buffer, or a ``/command`` from `COMMANDS`.

`COMMANDS` is the one declarative table of typed commands: name → `Command(usage, help,
handler)`, in the order /help lists them; `ALIASES` maps short forms. A handler gets
``(core, args, buffer, now)``: the text after the command name, the buffer it was typed in and
the time. Handlers check their arguments and answer bad ones with a usage line, never an
exception. A line starting with ``//`` is text that starts with ``/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from socketchat.client import (
    accounts,
    channellist,
    chanops,
    multiline,
    reactions,
    redaction,
    search,
    whois,
)
from socketchat.client.events import Said, tr
from socketchat.client.history import load_older
from socketchat.client.outgoing import say
from socketchat.client.state import valid_nick_like
from socketchat.client.who import parse_ip
from socketchat.client.who import request as who_request
from socketchat.irc.message import ParseError, parse_message

if TYPE_CHECKING:
    from socketchat.client.core import ClientCore

__all__ = ["ALIASES", "COMMANDS", "Command", "handle_input"]


@dataclass(frozen=True, slots=True)
class Command:
    usage: str
    help: Said  # translatable (tr): the views draw /help in their language
    handler: Callable[[ClientCore, str, str, float], None]  # (core, args, buffer, now)


def handle_input(core: ClientCore, text: str, buffer: str, now: float) -> None:
    """Every line of `text` the user typed in `buffer`: a command, or text to send. Several
    lines whose first is not a command are one message (`socketchat.client.multiline`)."""
    lines = multiline.normalize(text)
    first = lines[0] if lines else ""
    if len(lines) > 1 and (not first.startswith("/") or first.startswith("//")):
        say(core, buffer, "\n".join(lines), now, action=False)
        return
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith("/") and not line.startswith("//"):
            name, _, args = line[1:].partition(" ")
            run_command(core, name.lower(), args.strip(), buffer, now)
        else:
            if line.startswith("//"):
                line = line[1:]
            say(core, buffer, line, now, action=False)


def run_command(core: ClientCore, name: str, args: str, buffer: str, now: float) -> None:
    command = COMMANDS.get(ALIASES.get(name, name))
    if command is None:
        core.info(
            buffer,
            tr("Unknown command /{name}. Type /help for the list of commands.", name=name),
            now,
            "error",
        )
        return
    command.handler(core, args, buffer, now)


def usage(core: ClientCore, name: str, buffer: str, now: float) -> None:
    """Answer a bad use of /`name` with its usage line."""
    core.info(
        buffer,
        tr("Usage: {usage} — {help}", usage=COMMANDS[name].usage, help=COMMANDS[name].help),
        now,
        "error",
    )


def _help(core: ClientCore, args: str, buffer: str, now: float) -> None:
    core.info(buffer, tr("Commands:"), now)
    width = max(len(c.usage) for c in COMMANDS.values())
    for command in COMMANDS.values():
        usage = command.usage.ljust(width)
        core.info(
            buffer, Said("  {usage}  {help}", (("usage", usage), ("help", command.help))), now
        )
    core.info(buffer, tr("  Text without a leading / is sent to the current tab."), now)


def _pm(core: ClientCore, args: str, buffer: str, now: float) -> None:
    _message_command(core, "pm", args, buffer, now)


def _msg(core: ClientCore, args: str, buffer: str, now: float) -> None:
    _message_command(core, "msg", args, buffer, now)


def _message_command(core: ClientCore, name: str, args: str, buffer: str, now: float) -> None:
    # /pm opens (and switches to) the conversation; /msg only sends.
    focus = name == "pm"
    target, _, text = args.partition(" ")
    text = text.strip()
    if not target or not text:
        usage(core, name, buffer, now)
        return
    ip = parse_ip(target)
    if ip is not None:
        if core.require_connection(buffer, now):
            who_request(core, str(ip), buffer, pm_ip=ip, pm_text=text, pm_focus=focus)
        return
    if core.model.is_channel(target) or valid_nick_like(target):
        say(core, target, text, now, action=False, focus=focus, origin=buffer)
    else:
        core.info(
            buffer,
            tr("{target} is neither a nick, a channel nor an IP address", target=repr(target)),
            now,
            "error",
        )


def _query(core: ClientCore, args: str, buffer: str, now: float) -> None:
    target, _, text = args.partition(" ")
    if not target or core.model.is_channel(target) or not valid_nick_like(target):
        usage(core, "query", buffer, now)
        return
    core.model.open(target, "query", focus=True)
    if text.strip():
        say(core, target, text.strip(), now, action=False)


def _close(core: ClientCore, args: str, buffer: str, now: float) -> None:
    core.close_buffer(args.split()[0] if args else buffer, now)


def _join(core: ClientCore, args: str, buffer: str, now: float) -> None:
    parts = args.split()
    if not parts:
        usage(core, "join", buffer, now)
        return
    for channel in parts[0].split(","):
        if not core.model.is_channel(channel):
            channel = "#" + channel
        core.want(channel)
        existing = core.model.buf(channel)
        if existing is not None and existing.joined:
            core.model.focus(existing.name)
            continue
        core.focus_on_join.add(core.model.fold(channel))
        if core.registered:
            core.send("JOIN", channel, *parts[1:2])
        else:
            core.info(buffer, tr("Will join {channel} when connected", channel=channel), now)


def _part(core: ClientCore, args: str, buffer: str, now: float) -> None:
    channel, _, reason = args.partition(" ")
    if not channel or not core.model.is_channel(channel):
        reason = args
        channel = buffer
    buf = core.model.buf(channel)
    if buf is None or buf.kind != "channel":
        core.info(buffer, tr("Usage: /part [#channel] [reason] — in a channel tab"), now, "error")
        return
    core.unwant(buf.name)
    if core.registered and buf.joined:
        core.send("PART", buf.name, *([reason.strip()] if reason.strip() else []))
    else:
        core.model.drop(buf)


def _nick(core: ClientCore, args: str, buffer: str, now: float) -> None:
    new = args.split()[0] if args.split() else ""
    if not new or not valid_nick_like(new):
        usage(core, "nick", buffer, now)
        return
    core.desired_nick = new
    if core.registered or core.negotiation.awaiting_nick:
        core.choose_nick(new)  # also the answer to a refused nick while connecting
    else:
        core.info(buffer, tr("Your nick will be {nick} when connected", nick=new), now)


def _me(core: ClientCore, args: str, buffer: str, now: float) -> None:
    if not args:
        usage(core, "me", buffer, now)
        return
    say(core, buffer, args, now, action=True)


def _topic(core: ClientCore, args: str, buffer: str, now: float) -> None:
    channel = buffer
    first, _, rest = args.partition(" ")
    if first and core.model.is_channel(first):
        channel, args = first, rest.strip()
    buf = core.model.buf(channel)
    if (buf is None or buf.kind != "channel") and not (
        core.model.is_channel(channel) and core.registered
    ):
        core.info(buffer, tr("Usage: /topic [#channel] [new topic] — in a channel"), now, "error")
        return
    if not core.require_connection(buffer, now):
        return
    if args:
        core.send("TOPIC", channel, args)
    elif buf is not None and buf.topic:
        core.info(buffer, tr("Topic of {channel}: {topic}", channel=channel, topic=buf.topic), now)
    else:
        core.send("TOPIC", channel)


def _away(core: ClientCore, args: str, buffer: str, now: float) -> None:
    if not core.require_connection(buffer, now):
        return
    if args:
        core.send("AWAY", args)
    else:
        core.send("AWAY")


def _who(core: ClientCore, args: str, buffer: str, now: float) -> None:
    if not core.require_connection(buffer, now):
        return
    mask = args.split()[0] if args.split() else ""
    if not mask:
        buf = core.model.buf(buffer)
        mask = buf.name if buf is not None and buf.kind == "channel" else "*"
    who_request(core, mask, buffer)


def _names(core: ClientCore, args: str, buffer: str, now: float) -> None:
    channel = args.split()[0] if args.split() else buffer
    if not core.model.is_channel(channel):
        usage(core, "names", buffer, now)
        return
    if not core.require_connection(buffer, now):
        return
    core.names_requested.add(core.model.fold(channel))
    core.send("NAMES", channel)


def _whois(core: ClientCore, args: str, buffer: str, now: float) -> None:
    nick = args.split()[0] if args.split() else ""
    if not nick:
        usage(core, "whois", buffer, now)
        return
    if core.require_connection(buffer, now):
        whois.requested(core, nick, buffer)
        core.send("WHOIS", nick)


def _quote(core: ClientCore, args: str, buffer: str, now: float) -> None:
    if not args:
        usage(core, "quote", buffer, now)
        return
    if not core.require_connection(buffer, now):
        return
    try:
        msg = parse_message(args)
    except ParseError as exc:
        core.info(buffer, tr("Not an IRC line: {reason}", reason=exc), now, "error")
        return
    core.send_message(msg)


def _history(core: ClientCore, args: str, buffer: str, now: float) -> None:
    count = args.split()[0] if args.split() else ""
    if count and not (count.isascii() and count.isdigit() and 0 < int(count) <= 1000):
        usage(core, "history", buffer, now)
        return
    load_older(core, buffer, now, int(count) if count else None, verbose=True)


def _register(core: ClientCore, args: str, buffer: str, now: float) -> None:
    words = args.split()
    if not words or len(words) > 2:
        usage(core, "register", buffer, now)
    elif core.require_connection(buffer, now):
        accounts.register(core, words[0], words[1] if len(words) > 1 else "", buffer, now)


def _identify(core: ClientCore, args: str, buffer: str, now: float) -> None:
    words = args.split()
    if not words or len(words) > 2:
        usage(core, "identify", buffer, now)
    elif core.require_connection(buffer, now):
        account = words[0] if len(words) == 2 else ""
        accounts.identify(core, account, words[-1], buffer, now)


def _reply(core: ClientCore, args: str, buffer: str, now: float) -> None:
    ref, _, text = args.partition(" ")
    if not ref or not text.strip():
        usage(core, "reply", buffer, now)
        return
    if "message-tags" not in core.caps and valid_nick_like(ref):
        say(core, buffer, f"{ref}: {text.strip()}", now, action=False)  # as people write it
        return
    line = reactions.find_line(core, buffer, ref)
    if line is None or line.msgid is None:
        core.info(buffer, tr("No message {ref} here to reply to", ref=repr(ref)), now, "error")
        return
    reactions.reply(core, buffer, line.msgid, text.strip(), now)


def _react(core: ClientCore, args: str, buffer: str, now: float) -> None:
    words = args.split()
    if len(words) != 2:
        usage(core, "react", buffer, now)
        return
    line = reactions.find_line(core, buffer, words[0])
    if line is None or line.msgid is None:
        core.info(buffer, tr("No message {ref} here to react to", ref=repr(words[0])), now, "error")
        return
    reactions.react(core, buffer, line.msgid, words[1], now)


def _quit(core: ClientCore, args: str, buffer: str, now: float) -> None:
    core.leave(args or "Leaving", now)


COMMANDS: dict[str, Command] = {
    "help": Command("/help", tr("list the commands"), _help),
    "pm": Command(
        "/pm <nick|ip> <message>",
        tr("private message; an IP address finds who is connected from it"),
        _pm,
    ),
    "msg": Command("/msg <nick|#channel|ip> <message>", tr("send a message"), _msg),
    "query": Command("/query <nick> [message]", tr("open a private conversation"), _query),
    "who": Command("/who [mask]", tr("who is here (nick, host, away, account)"), _who),
    "join": Command("/join <#channel> [key]", tr("join a channel"), _join),
    "part": Command("/part [#channel] [reason]", tr("leave a channel"), _part),
    "close": Command("/close [tab]", tr("close this tab (leaves a channel)"), _close),
    "me": Command("/me <action>", tr("send an action (* you waves)"), _me),
    "reply": Command(
        "/reply <nick|msgid> <message>", tr("answer a message (their latest, for a nick)"), _reply
    ),
    "redact": Command(
        "/redact [msgid] [reason]",
        tr("take back a message (your latest here, without a msgid)"),
        redaction.command,
    ),
    "react": Command(
        "/react <nick|msgid> <emoji>", tr("react to a message; again: take it back"), _react
    ),
    "nick": Command("/nick <newnick>", tr("change your nick"), _nick),
    "topic": Command("/topic [new topic]", tr("show or set the channel topic"), _topic),
    "away": Command("/away [message]", tr("mark yourself away; without a message: back"), _away),
    "names": Command("/names [#channel]", tr("list the channel's members"), _names),
    "search": Command(
        "/search <words> [in:#channel] [from:nick]",
        tr("search the history you may read (results in their own tab)"),
        search.command,
    ),
    "jump": Command(
        "/jump <n>", tr("show search result n in its conversation"), search.jump_command
    ),
    "list": Command(
        "/list [mask]", tr("the server's channels, to browse and join"), channellist.command
    ),
    "whois": Command("/whois <nick>", tr("information about a user"), _whois),
    "history": Command(
        "/history [n]", tr("fetch n older lines of this tab from the server"), _history
    ),
    "register": Command(
        "/register <password> [email]", tr("register your nick as an account"), _register
    ),
    "identify": Command(
        "/identify [account] <password>", tr("log in to your account (NickServ)"), _identify
    ),
    "mode": Command("/mode [#channel|nick] [changes]", tr("show or change modes"), chanops.mode),
    "op": Command("/op <nick>...", tr("make operators"), chanops.prefix_modes("op", "+", "o")),
    "deop": Command("/deop <nick>...", tr("take op away"), chanops.prefix_modes("deop", "-", "o")),
    "voice": Command("/voice <nick>...", tr("give voice"), chanops.prefix_modes("voice", "+", "v")),
    "devoice": Command(
        "/devoice <nick>...", tr("take voice away"), chanops.prefix_modes("devoice", "-", "v")
    ),
    "kick": Command("/kick <nick> [reason]", tr("remove someone from the channel"), chanops.kick),
    "ban": Command(
        "/ban <nick|mask>...", tr("ban (a nick: its host)"), chanops.set_bans("+", "ban")
    ),
    "unban": Command("/unban <mask>...", tr("lift a ban"), chanops.set_bans("-", "unban")),
    "invite": Command("/invite <nick> [#channel]", tr("invite someone"), chanops.invite),
    "ignore": Command("/ignore [nick]", tr("hide someone's messages (here only)"), chanops.ignore),
    "unignore": Command("/unignore <nick>", tr("show someone's messages again"), chanops.unignore),
    "clear": Command("/clear", tr("empty this tab (here only)"), chanops.clear),
    "quote": Command("/quote <raw IRC line>", tr("send a raw IRC line"), _quote),
    "quit": Command("/quit [reason]", tr("disconnect and leave the program"), _quit),
    "exit": Command("/exit", tr("disconnect and leave the program"), _quit),
}

ALIASES: dict[str, str] = {"j": "join", "q": "query", "leave": "part", "raw": "quote"}
