// Up/Down recall of typed lines in the composer. The same rules as the terminal and desktop
// clients (socketchat/client/inputhistory.py), checked against tests/fixtures/inputhistory.json
// by both languages: stepping past the newest line gives back what was being typed.

export class InputHistory {
  constructor(limit = 200) {
    this.limit = limit;
    this.sent = [];
    this.position = 0;
    this.draft = "";
  }

  add(text) {
    if (!this.sent.length || this.sent[this.sent.length - 1] !== text) {
      this.sent.push(text);
      if (this.sent.length > this.limit) this.sent.splice(0, this.sent.length - this.limit);
    }
    this.position = this.sent.length;
    this.draft = "";
  }

  older(current) {
    if (this.position === this.sent.length) this.draft = current;
    this.position = Math.max(0, this.position - 1);
    return this.sent.length ? this.sent[this.position] : current;
  }

  newer(current) {
    if (this.position >= this.sent.length) return current;
    this.position += 1;
    return this.position < this.sent.length ? this.sent[this.position] : this.draft;
  }
}
