#!/bin/sh
# The interface strings of the terminal and desktop clients (client/i18n.py): after changing a
# string in the code, run this to bring the catalogs up to date (GNU gettext: xgettext,
# msgmerge, msgfmt; Debian's `gettext` package), translate the new or fuzzy entries of each
# src/socketchat/client/locale/<lang>/LC_MESSAGES/socketchat.po, and run it again to compile the
# .mo files that ship in the package. tests/client/test_i18n.py fails while a string is
# untranslated or a .mo is stale.
set -eu
cd "$(dirname "$0")/../src/socketchat/client"
POT=$(mktemp --suffix=.pot)
trap 'rm -f "$POT"' EXIT
SOURCES="i18n.py runs.py viewstate.py nickrules.py tui/*.py gui/*.py"
# shellcheck disable=SC2086  # the globs are meant to expand
xgettext --language=Python --keyword=_ --keyword=ngettext:1,2 --from-code=UTF-8 \
    --add-comments=TRANSLATORS --sort-by-file --package-name=socketchat \
    -o "$POT" $SOURCES
for po in locale/*/LC_MESSAGES/socketchat.po; do
    msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" "$POT"
    msgfmt --check -o "${po%.po}.mo" "$po"
    echo "$po: $(msgfmt --statistics -o /dev/null "$po" 2>&1)"
done
