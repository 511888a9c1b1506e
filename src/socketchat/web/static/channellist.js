// /list: the server's channels gathered into one list for a browsable panel. Mirrors
// socketchat/client/channellist.py: 321 starts, 322 adds {name, users, topic, modes} (the
// "[+modes] " before the topic taken off), 323 emits {type: "channel-list", entries, mask}.
// Methods of ChatCore (mixed in by client.js).

import { tr } from "./state.js";

const MAX_ENTRIES = 10000;

export class ChannelListMethods {
  cmd_list(args, buffer) {
    if (!this.requireConnection(buffer)) return;
    const mask = args.split(/\s+/).filter(Boolean)[0] || "";
    this.listBuffer = buffer;
    this.listMask = mask;
    this.listing = [];
    this.send("LIST", ...(mask ? [mask] : []));
  }

  onListNumeric(msg) {
    const p = msg.params;
    if (msg.command === "321") {
      this.listing = [];
    } else if (msg.command === "322") {
      if (!this.listing) this.listing = [];
      if (this.listing.length >= MAX_ENTRIES) return;
      let topic = p[3] || "";
      let modes = "";
      const m = /^\[(\+[^\]\s]*)\]\s?/.exec(topic);
      if (m) {
        modes = m[1];
        topic = topic.slice(m[0].length);
      }
      const users = /^[0-9]{1,9}$/.test(p[2] || "") ? Number(p[2]) : 0;
      this.listing.push({ name: p[1] || "", users, topic, modes });
    } else if (msg.command === "323") {
      const entries = this.listing || [];
      this.channelsListed = entries;
      this.listing = null;
      this.emit({ type: "channel-list", entries, mask: this.listMask || "" });
      const said = entries.length === 1 ? tr("1 channel listed (/join one)") : tr("{count} channels listed (/join one)", { count: entries.length });
      this.info(this.listBuffer || this.current, said);
      this.listBuffer = null;
      this.listMask = "";
    }
  }
}
