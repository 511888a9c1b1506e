"""Notifications in the browser client, in Chromium: the button asks for permission (never the
page load), the page subscribes with the server's VAPID key and sends WEBPUSH REGISTER, the
server pushes the encrypted line to a local push service, and the service worker shows it.

Chromium's own push service (Google's) cannot be reached here, so two things stand in for it:
the browser's `PushManager.subscribe` answers with a subscription whose endpoint is the test's
local push service and whose keys are the test's (made as a browser makes them); and what that
service receives is decrypted by the test and delivered to the service worker as a real push
event through the DevTools protocol (`ServiceWorker.deliverPushMessage`). Everything between —
the page, the server's decision, RFC 8291 encryption, VAPID, the POST, the worker's
notification — is the real code. A click on a notification is a synthetic `notificationclick`
in the worker (headless Chromium has no notification to click)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from playwright.sync_api import BrowserContext, expect

from socketchat.irc.message import parse_message
from socketchat.server.config import WebPushSettings
from tests.support import free_port
from tests.support.irc import IRCClient
from tests.support.pushendpoint import BrowserSubscription, push_endpoint, unb64url
from tests.support.server import running_server
from tests.web.browser import ChatPage, Pages

PASSWORD = "correct-horse-42"
LOCAL = WebPushSettings(allowed_hosts=("127.0.0.1",), delay=0.0, timeout=5.0)

# Stands in for the browser's push service (see the module docstring), and counts how often
# the page asks for permission.
FAKE_PUSH = """
(() => {
  window.__permissionAsks = 0;
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...a) => { window.__permissionAsks += 1; return ask(...a); };
  if (!self.PushManager) return;
  const sub = %s;
  let current = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeKey = Array.from(new Uint8Array(options.applicationServerKey));
    current = {
      endpoint: sub.endpoint,
      options: { applicationServerKey: options.applicationServerKey },
      toJSON: () => ({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }),
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
})();
"""


def make_account(port: int, nick: str) -> None:
    c = IRCClient(port)
    c.send("CAP LS 302", "CAP REQ :draft/account-registration", f"NICK {nick}", "USER u 0 * :u")
    c.send(f"REGISTER * * {PASSWORD}")
    c.expect("REGISTER", timeout=10)
    c.send("QUIT")
    c.closed_by_server()


def vapid_key(port: int) -> str:
    c = IRCClient(port).register("peek")
    tokens = [p for m in c.log if m.command == "005" for p in m.params[1:-1]]
    c.send("QUIT")
    return next(t.removeprefix("VAPID=") for t in tokens if t.startswith("VAPID="))


def set_visibility(chat: ChatPage, state: str) -> None:
    """As if the tab were hidden (another tab in front) or shown again."""
    chat.page.evaluate(
        """(state) => {
          Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
          document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


class Worker:
    """The page's service worker, and real push events delivered to it over DevTools."""

    def __init__(self, chat: ChatPage) -> None:
        self.chat = chat
        self.context: BrowserContext = chat.page.context
        self.cdp = self.context.new_cdp_session(chat.page)
        self.registrations: dict[str, str] = {}  # scope URL -> registration id
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._updated)
        self.cdp.send("ServiceWorker.enable")

    def _updated(self, event: dict[str, Any]) -> None:
        for reg in event["registrations"]:
            if not reg.get("isDeleted"):
                self.registrations[reg["scopeURL"]] = reg["registrationId"]

    def deliver(self, data: str) -> None:
        scope = self.chat.url
        deadline = time.monotonic() + 10
        while scope not in self.registrations:
            assert time.monotonic() < deadline, self.registrations
            self.chat.page.wait_for_timeout(50)
        origin = scope.rstrip("/")
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": origin, "registrationId": self.registrations[scope], "data": data},
        )

    def notifications(self, count: int) -> list[dict[str, Any]]:
        """The notifications shown (waits for `count`)."""
        script = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
            .map((n) => ({ title: n.title, body: n.body, dir: n.dir, tag: n.tag, data: n.data,
                          renotify: n.renotify }))"""
        deadline = time.monotonic() + 10
        while True:
            shown: list[dict[str, Any]] = self.chat.page.evaluate(script)
            if len(shown) >= count or time.monotonic() > deadline:
                return shown
            self.chat.page.wait_for_timeout(50)

    def shown_as(self, title: str, line: str) -> dict[str, Any]:
        """The notification titled `title` that delivering `line` shows. A push handed to the
        worker over DevTools was once not shown at all within 10 s in a loaded CI run (the
        worker restarting under it?): it is handed over once more then. The worker shows one
        notification per conversation (its tag), so a second delivery cannot add one."""
        for _attempt in range(2):
            self.deliver(line)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                shown = self.notifications(0)
                if found := [n for n in shown if n["title"] == title]:
                    return found[0]
                self.chat.page.wait_for_timeout(100)
        raise AssertionError(f"no notification titled {title!r}: {shown}")

    def click(self, tag: str) -> None:
        """A `notificationclick` for the notification with `tag`, in the worker."""
        [worker] = self.context.service_workers
        worker.evaluate(
            """async (tag) => {
                const [n] = await self.registration.getNotifications({ tag });
                self.dispatchEvent(new NotificationEvent("notificationclick", { notification: n }));
            }""",
            tag,
        )


def test_push_from_the_server_is_shown_by_the_service_worker(pages: Pages) -> None:
    browser_keys = BrowserSubscription()
    with push_endpoint() as endpoint:
        settings = {"web_port": free_port(), "webpush": LOCAL}
        with running_server(**settings) as server:
            make_account(server.port, "alice")
            key = vapid_key(server.port)
            url = endpoint.url("/push/alice-browser")
            fake = {"endpoint": url, "p256dh": browser_keys.p256dh, "auth": browser_keys.auth}
            alice = pages.open(server.web_port)
            alice.page.add_init_script(FAKE_PUSH % json.dumps(fake))
            # the sw.js is served for the whole site, fresh
            got = alice.page.request.get(alice.url + "sw.js")
            assert got.headers["content-type"].startswith("text/javascript")
            assert got.headers["cache-control"] == "no-cache"
            alice.login("alice", PASSWORD)
            button = alice.page.locator("#notify-toggle")
            expect(button).to_have_text("Enable notifications")
            # nothing asked by the page on load
            assert alice.page.evaluate("window.__permissionAsks") == 0
            assert alice.page.evaluate("Notification.permission") == "default"
            alice.page.context.grant_permissions(["notifications"], origin=alice.url)
            button.click()
            expect(button).to_have_attribute("data-push", "on", timeout=10_000)
            expect(button).to_have_text("Notifications on")
            assert alice.page.evaluate("window.__permissionAsks") == 1
            assert bytes(alice.page.evaluate("window.__subscribeKey")) == unb64url(key)
            worker = Worker(alice)

            bob = IRCClient(server.port).register("bob")
            bob.send("JOIN #lobby")
            bob.expect("366")
            text = "alice: جلسه ساعت 10:30 در room B است، OK?"
            bob.send(f"PRIVMSG #lobby :{text}")
            [push] = endpoint.wait(1)
            line = browser_keys.decrypt(push.body).decode()
            assert parse_message(line).params == ("#lobby", text)
            shown = worker.shown_as("#lobby", line)
            assert len(worker.notifications(0)) == 1
            assert shown["body"] == f"bob: {text}"
            assert shown["dir"] == "auto"
            assert shown["tag"] == "socketchat:#lobby"

            bob.send("PRIVMSG alice :\x02سلام\x02 — are you there?")
            line = browser_keys.decrypt(endpoint.wait(2)[1].body).decode()
            private = worker.shown_as("bob", line)
            assert private["body"] == "سلام — are you there?"  # formatting removed
            assert private["data"] == {"buffer": "bob", "msgid": parse_message(line).tags["msgid"]}
            # a click opens that conversation in the page
            worker.click("socketchat:bob")
            expect(alice.tab("bob")).to_have_attribute("aria-selected", "true", timeout=10_000)

            # switched off: the device is unregistered
            button.click()
            expect(button).to_have_text("Enable notifications")
            bob.send("PRIVMSG alice :after switching off")
            alice.page.wait_for_timeout(500)
            assert len(endpoint.received) == 2


def test_in_page_notification_while_hidden_and_reading_marks_read(pages: Pages) -> None:
    with running_server(web_port=free_port()) as server:
        make_account(server.port, "alice")
        alice = pages.open(server.web_port)
        alice.page.context.grant_permissions(["notifications"], origin=alice.url)
        alice.login("alice", PASSWORD)
        alice.page.locator("#notify-toggle").click()
        expect(alice.page.locator("#notify-toggle")).to_have_text("Notifications on")
        worker = Worker(alice)
        # the same account on another device (a phone), which hears what the page read
        phone = IRCClient(server.port)
        phone.send("CAP LS 302", "CAP REQ :sasl draft/read-marker server-time")
        phone.send("NICK alicephone", "USER u 0 * :u", "AUTHENTICATE PLAIN")
        phone.expect("AUTHENTICATE")
        phone.send("AUTHENTICATE " + base64.b64encode(f"\0alice\0{PASSWORD}".encode()).decode())
        phone.expect("903")
        phone.send("CAP END")
        phone.expect("001")
        bob = IRCClient(server.port).register("bob")
        bob.send("JOIN #lobby")
        bob.expect("366")
        # shown and focused: a line in the open tab is read, and the phone is told
        alice.page.bring_to_front()
        bob.send("PRIVMSG #lobby :alice: seen here")
        expect(alice.log_line("seen here")).to_be_visible()
        marker = phone.expect("MARKREAD", lambda m: m.param(0) == "#lobby", timeout=10)
        assert marker.param(1).startswith("timestamp=")
        assert worker.notifications(0) == []
        # hidden: a mention becomes a notification of the page
        set_visibility(alice, "hidden")
        bob.send("PRIVMSG #lobby :alice: بیا اینجا")
        [shown] = worker.notifications(1)
        assert (shown["title"], shown["body"], shown["dir"]) == (
            "#lobby",
            "bob: alice: بیا اینجا",
            "auto",
        )
        bob.send("PRIVMSG #lobby :not about anyone")
        alice.page.wait_for_timeout(300)
        assert len(worker.notifications(1)) == 1
        # the server's push of that same message (unread, later) replaces it without a new alert
        msgid = shown["data"]["msgid"]
        assert msgid
        worker.deliver(f"@msgid={msgid} :bob!b@h PRIVMSG #lobby :alice: بیا اینجا")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and worker.notifications(1)[0]["renotify"]:
            alice.page.wait_for_timeout(50)
        [replaced] = worker.notifications(1)
        assert replaced["renotify"] is False and replaced["body"] == "bob: alice: بیا اینجا"
        # shown again: the notifications of the open conversation are closed
        set_visibility(alice, "visible")
        deadline = time.monotonic() + 10
        while worker.notifications(0) and time.monotonic() < deadline:
            alice.page.wait_for_timeout(50)
        assert worker.notifications(0) == []
        # Without a push service (here: Playwright's contexts are incognito, where Chrome has
        # none) the page says so on its button and notifies only while open; Chrome logs that.
        button = alice.page.locator("#notify-toggle")
        assert button.get_attribute("data-push") == "failed"
        assert "closed" not in (button.get_attribute("title") or "")
        incognito = [e for e in alice.errors if "Push API in incognito" in e]
        assert len(incognito) == 1
        alice.errors.remove(incognito[0])
