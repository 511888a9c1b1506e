"""Phase 1 server: wait for ONE client, read its greeting, answer, and quit.

Run:  python lessons/phase1/server.py [--host 127.0.0.1] [--port 5000]
"""

import argparse
import socket

REPLY = "سلام مشتری"  # "Hello, client" in Persian: a reminder that text must be encoded


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Phase 1: a one-shot TCP server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    return parser.parse_args()


def main() -> None:
    args = parse_args()

    # AF_INET = IPv4 addresses, SOCK_STREAM = TCP (a reliable stream of bytes).
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # SO_REUSEADDR lets us restart the server at once on the same port,
    # instead of waiting for the old connection to time out ("Address already in use").
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.host, args.port))
    server.listen()
    print(f"listening on {args.host}:{args.port}", flush=True)

    # accept() BLOCKS: the program stops here until a client connects.
    # It returns a NEW socket, just for talking to this one client.
    conn, addr = server.accept()
    print(f"client connected from {addr[0]}:{addr[1]}", flush=True)

    # TCP is a stream, not a series of messages: one recv() may return half a line
    # or two lines. We agree that every message ends with "\n" and let makefile()
    # collect bytes until a whole line has arrived.
    reader = conn.makefile("r", encoding="utf-8", newline="\n")
    message = reader.readline().rstrip("\n")
    print(f"received: {message}", flush=True)

    # Sockets carry bytes, so the text is encoded to UTF-8 before sending.
    conn.sendall((REPLY + "\n").encode("utf-8"))

    reader.close()
    conn.close()
    server.close()
    print("done", flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C: quit quietly, without a traceback
        print("\nstopped", flush=True)
