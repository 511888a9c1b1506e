// Notifications in the browser: the "Enable notifications" button, Web Push (IRCv3
// draft/webpush) through the service worker (sw.js), and notifications from the page itself
// while its tab is hidden. See docs/notifications.md.
//
// Permission is asked once, from the button (a user gesture), never on page load. Once given,
// the choice is remembered (localStorage) and on every connection logged in to an account the
// page subscribes with the server's VAPID key (ISUPPORT VAPID=…) and sends
// WEBPUSH REGISTER <endpoint> p256dh=…;auth=…, so the server can push mentions and private
// messages while no device of the account is looking. Without an account, or where the server or
// the browser has no push, the page still notifies while it is open in a hidden tab.
// While the page is shown and has the focus, lines arriving in the current tab are marked read
// (MARKREAD, a moment later): that is what keeps the server from pushing them to the phone.

const ENABLED_KEY = "socketchat.notify";
const TAG_PREFIX = "socketchat:"; // as sw.js: one notification per conversation
const READ_DELAY = 1500; // ms: lines arriving meanwhile are marked read together
// bold, colour, hex colour, reset, monospace, reverse, italic, strike, underline
const FORMATTING = /\x03(\d{1,2}(,\d{1,2})?)?|\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;

function urlBase64ToBytes(text) {
  const padded = (text + "=".repeat((4 - (text.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function sameBytes(a, b) {
  if (!a || !b) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** What a notification of `line` in `buffer` says (as sw.js shows a push). */
export function notificationText(buffer, line, channel) {
  const text = (line.text || "").replace(FORMATTING, "");
  if (line.kind === "action") return { title: buffer, body: `* ${line.nick} ${text}` };
  return { title: buffer, body: channel ? `${line.nick}: ${text}` : text };
}

export class Notifications {
  /** `button`: the toggle; `core()`: the current ChatCore (or null); `open(name)`: show a
   * conversation; `t`: the message table. */
  constructor({ button, core, open, t }) {
    this.button = button;
    this.core = core;
    this.open = open;
    this.t = t;
    this.supported = typeof Notification !== "undefined";
    this.push = "unknown"; // "on", "no-account", "no-server", "unsupported", "failed"
    this.registration = null; // the service worker's, once registered
    this.connection = null; // the WebSocket now
    this.registeredOn = null; // the connection on which WEBPUSH REGISTER was sent, and
    this.registeredAccount = null; // for which account
    this.readTimer = null;
    this.subscribing = null; // the subscription under way, if any
    this.pendingOpen = new URLSearchParams(location.search).get("open") || null;
    if (this.pendingOpen) history.replaceState(null, "", location.pathname);
    if (!this.supported) {
      button.hidden = true;
      return;
    }
    button.hidden = false;
    button.addEventListener("click", () => this.clicked());
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", (event) => {
        if (event.data && event.data.type === "open" && event.data.buffer) this.open(event.data.buffer);
      });
    }
    document.addEventListener("visibilitychange", () => this.shown());
    window.addEventListener("focus", () => this.shown());
    if (this.enabled) this.registerWorker(); // given before: no prompt
    this.render();
  }

  get enabled() {
    return this.supported && Notification.permission === "granted" && localStorage.getItem(ENABLED_KEY) === "on";
  }

  /** The page is looked at: nothing to notify about the conversation shown. */
  get looking() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  render() {
    if (!this.supported) return;
    const b = this.button;
    const denied = Notification.permission === "denied";
    const on = this.enabled;
    b.disabled = denied;
    b.setAttribute("aria-pressed", String(on));
    b.classList.toggle("on", on);
    const text = this.t(denied ? "notify.blocked" : on ? "notify.on" : "notify.enable");
    const label = document.createElement("span");
    label.className = "notify-label"; // hidden on a narrow screen: the bell stays (style.css)
    label.textContent = text;
    b.replaceChildren(label);
    b.setAttribute("aria-label", text);
    b.dataset.push = on ? this.push : "off";
    b.title = on ? this.t(this.push === "on" ? "notify.push" : `notify.tabOnly.${this.push}`) : text;
  }

  /** The button: ask once (a user gesture), or switch off. */
  async clicked() {
    if (this.enabled) {
      localStorage.setItem(ENABLED_KEY, "off");
      await this.unsubscribe();
      this.render();
      return;
    }
    // asked here only, from the click (a prompt at most once: a browser remembers the answer)
    const answer = await Notification.requestPermission();
    if (answer === "granted") {
      localStorage.setItem(ENABLED_KEY, "on");
      await this.registerWorker();
      this.registeredOn = null;
      await this.subscribe();
    }
    this.render();
  }

  async registerWorker() {
    if (!("serviceWorker" in navigator)) return null;
    try {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      this.registration = await navigator.serviceWorker.ready;
    } catch {
      this.registration = null; // not served over https or localhost: in-page notifications only
    }
    return this.registration;
  }

  /** The connection `socket` is registered (or its account changed): subscribe this device,
   * once per connection and account, if notifications are on. */
  connected(socket) {
    const core = this.core();
    this.connection = socket;
    if (!this.enabled || !core || core.state !== "connected") return;
    if (this.registeredOn === socket && this.registeredAccount === core.account) return;
    this.subscribe();
  }

  /** Subscribe and send WEBPUSH REGISTER; one at a time (status events come in bursts). */
  subscribe() {
    if (!this.subscribing) this.subscribing = this.trySubscribe().finally(() => { this.subscribing = null; });
    return this.subscribing;
  }

  async trySubscribe() {
    const core = this.core();
    if (!core || core.state !== "connected") return;
    const key = core.isupport.get("VAPID");
    const registration = this.registration || (await this.registerWorker());
    if (!registration || !("pushManager" in registration)) this.push = "unsupported";
    else if (!key) this.push = "no-server";
    else if (!core.account) this.push = "no-account";
    else {
      try {
        let subscription = await registration.pushManager.getSubscription();
        const serverKey = urlBase64ToBytes(key);
        if (subscription && !sameBytes(subscription.options && subscription.options.applicationServerKey, serverKey)) {
          await subscription.unsubscribe(); // made for another server key: useless now
          subscription = null;
        }
        if (!subscription) {
          subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
        }
        const { endpoint, keys } = subscription.toJSON();
        core.send("WEBPUSH", "REGISTER", endpoint, `p256dh=${keys.p256dh};auth=${keys.auth}`);
        this.registeredOn = this.connection;
        this.registeredAccount = core.account;
        this.push = "pending"; // until the server answers WEBPUSH REGISTER
      } catch {
        this.push = "failed"; // e.g. the browser's push service cannot be reached
      }
    }
    this.render();
  }

  async unsubscribe() {
    const registration = this.registration;
    this.push = "unknown";
    if (!registration || !("pushManager" in registration)) return;
    const subscription = await registration.pushManager.getSubscription().catch(() => null);
    if (!subscription) return;
    const core = this.core();
    if (core && core.state === "connected") core.send("WEBPUSH", "UNREGISTER", subscription.endpoint);
    await subscription.unsubscribe().catch(() => false);
  }

  /** The server answered WEBPUSH (event from the core). */
  serverSaid(event) {
    if (event.type === "webpush" && event.subcommand === "REGISTER") this.push = "on";
    else if (event.type === "webpush-failed") this.push = "failed";
    this.render();
  }

  /** A line arrived (the core's "line" event). */
  line(event, buf) {
    const line = event.line;
    if (!buf || line.history || line.self) return;
    const core = this.core();
    if (this.looking && event.buffer === core.current) {
      this.markReadSoon();
      return;
    }
    if (!this.enabled || !line.highlight || document.visibilityState === "visible") return;
    if (!["message", "action"].includes(line.kind)) return;
    const { title, body } = notificationText(buf.name, line, buf.kind === "channel");
    const options = { body, dir: "auto", tag: TAG_PREFIX + buf.name.toLowerCase(), renotify: true, icon: "/favicon.svg", data: { buffer: buf.name, msgid: line.msgid || null } };
    if (this.registration) {
      this.registration.showNotification(title, options).catch(() => {});
    } else {
      const shown = new Notification(title, options);
      shown.onclick = () => {
        window.focus();
        this.open(buf.name);
        shown.close();
      };
    }
  }

  /** Mark the shown tab read in a moment: once per READ_DELAY however busy it is (a timer
   * that restarted with every line would never fire in a busy channel). */
  markReadSoon() {
    if (this.readTimer) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      const core = this.core();
      if (core && this.looking) {
        const buf = core.buf(core.current);
        if (buf) core.lookedAt(buf);
      }
    }, READ_DELAY);
  }

  /** The page is shown again: the current conversation is read, its notifications go. */
  shown() {
    const core = this.core();
    if (!core || document.visibilityState !== "visible") return;
    const buf = core.buf(core.current);
    if (!buf) return;
    if (document.hasFocus()) core.lookedAt(buf);
    this.closeFor(buf.name);
  }

  closeFor(name) {
    if (!this.registration) return;
    this.registration.getNotifications({ tag: TAG_PREFIX + name.toLowerCase() })
      .then((shown) => shown.forEach((n) => n.close()))
      .catch(() => {});
  }

  /** A conversation asked for by a notification's click before the chat was there. */
  takePendingOpen() {
    const name = this.pendingOpen;
    this.pendingOpen = null;
    return name;
  }
}
