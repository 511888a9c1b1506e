"""Mode strings: parsing into changes and formatting back, without any server."""

from socketchat.server.commands.modeparse import (
    ModeChange,
    format_modes,
    parse_channel_modes,
    parse_user_modes,
)


def test_parameters_are_taken_by_the_modes_that_need_them() -> None:
    parsed = parse_channel_modes("+ov-b+lk", ["alice", "bob", "*!*@x", "10", "key"])
    assert parsed.changes == (
        ModeChange(True, "o", "alice"),
        ModeChange(True, "v", "bob"),
        ModeChange(False, "b", "*!*@x"),
        ModeChange(True, "l", "10"),
        # the fifth parameter mode is over MODES=4 and is dropped
    )
    assert parsed.unknown == () and parsed.missing_param == ()


def test_flags_take_no_parameter_and_minus_l_takes_none() -> None:
    parsed = parse_channel_modes("+nt-l+m", ["extra"])
    assert [(c.adding, c.mode, c.param) for c in parsed.changes] == [
        (True, "n", None),
        (True, "t", None),
        (False, "l", None),
        (True, "m", None),
    ]


def test_ban_without_parameter_is_a_list_query() -> None:
    (change,) = parse_channel_modes("b", []).changes
    assert change.is_list_query
    assert not parse_channel_modes("+b", ["*!*@*"]).changes[0].is_list_query


def test_unknown_modes_and_missing_parameters_are_reported() -> None:
    parsed = parse_channel_modes("+zoyz", [])
    assert parsed.unknown == ("z", "y")
    assert parsed.missing_param == ("o",)
    assert parsed.changes == ()
    assert parse_channel_modes("+k", []).missing_param == ("k",)
    assert parse_channel_modes("-k", []).changes == (ModeChange(False, "k"),)


def test_user_modes() -> None:
    parsed = parse_user_modes("+i-ox")
    assert parsed.changes == (ModeChange(True, "i"), ModeChange(False, "o"))
    assert parsed.unknown == ("x",)


def test_format_groups_signs_and_lists_parameters_in_order() -> None:
    changes = [
        ModeChange(True, "o", "a"),
        ModeChange(True, "m"),
        ModeChange(False, "b", "*!*@x"),
        ModeChange(False, "v", "b"),
        ModeChange(True, "i"),
    ]
    assert format_modes(changes) == ("+om-bv+i", "a", "*!*@x", "b")
    assert format_modes([]) == ()
