#!/bin/sh
# The interface strings of the terminal and desktop clients (client/i18n.py) and the lines both
# client cores write themselves (`tr("…")` in client/*.py and web/static/*.js): after changing a
# string in the code, run this to bring the catalogs up to date (GNU gettext: xgettext,
# msgmerge, msgfmt; Debian's `gettext` package), translate the new or fuzzy entries of each
# src/socketchat/client/locale/<lang>/LC_MESSAGES/socketchat.po, and run it again to compile the
# .mo files that ship in the package and the page's table of the core's lines
# (web/static/coremessages.js). tests/client/test_i18n.py fails while a string is untranslated
# or a .mo or that table is stale.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/src/socketchat/client"
POT=$(mktemp --suffix=.pot)
trap 'rm -f "$POT"' EXIT
SOURCES="i18n.py runs.py viewstate.py nickrules.py notify.py tui/*.py gui/*.py"
CORE="accounts.py channellist.py chanops.py commands.py core.py history.py incoming.py
      outgoing.py presence.py reactions.py redaction.py registration.py search.py state.py
      who.py whois.py ../web/static/*.js"
# shellcheck disable=SC2086  # the globs are meant to expand
xgettext --keyword=_ --keyword=N_ --keyword=ngettext:1,2 --keyword=tr --from-code=UTF-8 \
    --add-comments=TRANSLATORS --sort-by-file --package-name=socketchat \
    -o "$POT" $SOURCES $CORE
for po in locale/*/LC_MESSAGES/socketchat.po; do
    msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" "$POT"
    msgfmt --check -o "${po%.po}.mo" "$po"
    echo "$po: $(msgfmt --statistics -o /dev/null "$po" 2>&1)"
done
PYTHONPATH="$ROOT/src" python3 -m socketchat.client.i18n
