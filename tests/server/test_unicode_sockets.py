"""Persian nicknames and a Persian channel over real sockets (casemapping = "precis")."""

from tests.support.irc import IRCClient
from tests.support.server import running_server

ZWNJ = "\u200c"


def test_persian_nicks_chat_in_a_persian_channel_and_pm() -> None:
    with running_server() as srv:
        mahsa = IRCClient(srv.port).register("مهسا")
        kaveh = IRCClient(srv.port).register("کاوه")
        for c in (mahsa, kaveh):
            c.send("JOIN #کلاس")
            c.expect("366")
        mahsa.expect("JOIN", lambda m: m.nick == "کاوه")
        line = "سلام! جلسه ساعت 10:30 در room B است، OK? می" + ZWNJ + "خندد"
        kaveh.send(f"PRIVMSG #کلاس :{line}")
        got = mahsa.expect("PRIVMSG")
        assert got.params == ("#کلاس", line)  # the ZWNJ arrives intact
        assert got.source == "کاوه!~user@127.0.0.1"
        mahsa.send("PRIVMSG کاوه :خصوصی")
        pm = kaveh.expect("PRIVMSG")
        assert pm.nick == "مهسا" and pm.params[1] == "خصوصی"
        # the Arabic-keyboard spelling of کاوه (ك) is the same nick: refused, with the reason
        impostor = IRCClient(srv.port)
        impostor.send("NICK كاوه", "USER u 0 * :u")
        assert impostor.expect("433").param(1) == "كاوه"
        impostor.send("NICK \u0440\u0430ul")  # Cyrillic р а + Latin u l
        assert "one script" in impostor.expect("432").param(2)
        for c in (mahsa, kaveh, impostor):
            c.close()
