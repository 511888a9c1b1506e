"""Nick colours: the cases the browser's colors.js runs too (tests/fixtures/nick_colors.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from socketchat.client.helpers import NICK_COLORS, NICK_COLORS_DARK, nick_color_index

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "nick_colors.json").read_text()
)


def test_the_shared_cases() -> None:
    assert FIXTURE["light"] == list(NICK_COLORS) and FIXTURE["dark"] == list(NICK_COLORS_DARK)
    for case in FIXTURE["cases"]:
        assert nick_color_index(case["nick"]) == case["index"], case["nick"]
    assert len({case["index"] for case in FIXTURE["cases"]}) >= 8  # spread, not two colours


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    dim, bright = sorted((_luminance(a), _luminance(b)))
    return (bright + 0.05) / (dim + 0.05)


def _backgrounds() -> dict[str, list[str]]:
    """The backgrounds nicks are drawn on, read from the three clients themselves: the desktop
    palettes (chat and highlighted lines), Textual's themes, the page's stylesheet (its panel,
    page and highlight colours, in the light and the dark blocks)."""
    from textual.color import Color
    from textual.theme import BUILTIN_THEMES

    from socketchat.client.gui.theme import DARK, LIGHT

    css = (Path(__file__).resolve().parents[2] / "src/socketchat/web/static/style.css").read_text()
    light_css, dark_css = css.split("@media (prefers-color-scheme: dark)", 1)
    dark_css = dark_css.split("}", 1)[0]

    def page(block: str) -> list[str]:
        return re.findall(r"--(?:panel|bg|highlight): (#[0-9a-f]{6});", block)

    light = [LIGHT.chat_background, LIGHT.background, LIGHT.highlight_bg, "#fff4c2"]
    dark = [DARK.chat_background, DARK.background, DARK.highlight_bg, "#3a3000"]  # + terminal
    for name, into in (("textual-light", light), ("textual-dark", dark)):
        # the terminal's log (a RichLog): $background around it, $surface under the lines,
        # tinted 5 % towards $foreground while it has the focus
        theme = BUILTIN_THEMES[name].to_color_system().generate()
        surface, foreground = Color.parse(theme["surface"]), Color.parse(theme["foreground"])
        into += [theme["background"], surface.hex, surface.blend(foreground, 0.05).hex]
    light += page(light_css.split(":root {", 1)[1].split("}", 1)[0])
    dark += page(dark_css)
    assert len(light) >= 7 and len(dark) >= 7  # the stylesheet's colours were found
    return {"light": [c.lower() for c in light], "dark": [c.lower() for c in dark]}


def test_every_nick_colour_is_readable_on_its_themes_backgrounds() -> None:
    """Issue 14: nick colours "readable on light and dark themes": 4.5:1 (WCAG AA for text)
    against every background of the theme, in all three clients (the old light hues went down to
    2.2:1, yellow on white)."""
    backgrounds = _backgrounds()
    for theme, colours in (("light", NICK_COLORS), ("dark", NICK_COLORS_DARK)):
        for colour in colours:
            for background in backgrounds[theme]:
                ratio = contrast(colour, background)
                assert ratio >= 4.5, f"{theme}: {colour} on {background} is {ratio:.2f}:1"
