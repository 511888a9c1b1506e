"""IRCv3 bot-mode: user mode +B, ISUPPORT BOT=B, the `bot` tag, WHO flag B, WHOIS 335."""

from tests.server.commands.helpers import joined, only
from tests.server.harness import Client, Net


def _bot(net: Net, caps: str = "") -> Client:
    bot = net.client("botnick", caps=caps)
    bot.send("MODE botnick +B")
    (mode,) = bot.received()
    assert (mode.command, mode.params) == ("MODE", ("botnick", "+B"))
    return bot


def test_isupport_and_myinfo_name_the_mode() -> None:
    net = Net()
    c = net.client()
    c.send("NICK a", "USER a 0 * :a")
    got = c.received()
    tokens = [p for m in only(got, "005") for p in m.params[1:-1]]
    assert "BOT=B" in tokens
    assert "B" in only(got, "004")[0].params[3]


def test_bot_messages_carry_the_tag_for_message_tags_clients_only() -> None:
    net = Net()
    bot = _bot(net, caps="echo-message message-tags")
    tagged = net.client("tagged", caps="message-tags")
    plain = net.client("plain")
    joined(net, "#c", bot, tagged, plain)
    bot.send("PRIVMSG #c :beep boop", "NOTICE tagged :boop", "PRIVMSG plain :beep")
    got = tagged.received()
    assert [(m.command, m.tags.get("bot")) for m in got] == [("PRIVMSG", ""), ("NOTICE", "")]
    assert all("bot" not in m.tags for m in plain.received())
    echoes = bot.received()
    assert len(echoes) == 3 and all(m.tags.get("bot") == "" for m in echoes)
    bot.send("MODE botnick -B", "PRIVMSG #c :human now")
    assert "bot" not in only(tagged.received(), "PRIVMSG")[0].tags


def test_who_flag_and_whois_numeric() -> None:
    net = Net()
    bot = _bot(net)
    user = net.client("user")
    joined(net, "#c", bot, user)
    user.send("WHO #c")
    flags = {m.params[5]: m.params[6] for m in only(user.received(), "352")}
    assert "B" in flags["botnick"] and "B" not in flags["user"]
    user.send("WHOIS botnick")
    (whoisbot,) = only(user.received(), "335")
    assert whoisbot.params[:2] == ("user", "botnick")
    user.send("WHOIS user")
    assert only(user.received(), "335") == []
    bot.send("MODE botnick")
    assert only(bot.received(), "221")[0].params[1] == "+B"
