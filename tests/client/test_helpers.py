"""The command-line pieces both client views share: default port and channel names."""

from __future__ import annotations

import pytest

from socketchat.client.helpers import channel_name, default_port


def test_default_port_depends_on_tls() -> None:
    assert default_port(tls=False) == 6667
    assert default_port(tls=True) == 6697


@pytest.mark.parametrize(
    ("typed", "channel"),
    [
        (None, "#lobby"),
        ("", "#lobby"),
        ("  ", "#lobby"),
        ("lobby", "#lobby"),
        ("#dev", "#dev"),
        ("&local", "&local"),
        (" dev ", "#dev"),
    ],
)
def test_channel_name_adds_the_prefix_and_defaults_to_lobby(
    typed: str | None, channel: str
) -> None:
    assert channel_name(typed) == channel
