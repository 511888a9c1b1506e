"""The server over real sockets."""

from tests.support.irc import IRCClient
from tests.support.server import running_server, spawned_server


def test_two_clients_chat_in_lobby_over_tcp() -> None:
    with running_server() as srv:
        a = IRCClient(srv.port).register("alice", "server-time")
        b = IRCClient(srv.port).register("bob")
        a.send("JOIN #lobby")
        a.expect("366")
        b.send("JOIN #lobby")
        b.expect("366")
        a.expect("JOIN", lambda m: m.nick == "bob")
        b.send("PRIVMSG #lobby :hi alice")
        got = a.expect("PRIVMSG")
        assert got.params == ("#lobby", "hi alice")
        assert got.source == "bob!~bob@127.0.0.1"
        assert "time" in got.tags
        a.close()
        b.close()


def test_serve_command_starts_and_stops_on_sigterm() -> None:
    import signal

    with spawned_server() as srv:
        assert srv.process is not None
        c = IRCClient(srv.port).register("carol")
        srv.process.send_signal(signal.SIGTERM)
        err = c.expect("ERROR")
        assert "shutting down" in err.param(0)
        assert srv.process.wait(timeout=10) == 0
