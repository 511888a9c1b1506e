"""Phase 2 client: send each line you type (or pipe in), print the server's reply.

Run:  python lessons/phase2/client.py [--host 127.0.0.1] [--port 5000]
End with Ctrl-D (end of input) or Ctrl-C.
"""

import argparse
import socket
import sys


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Phase 2: a line-by-line echo client")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    sock = socket.create_connection((args.host, args.port))  # socket() + connect() in one
    host, port = sock.getsockname()[:2]
    print(f"connected as {host}:{port}", flush=True)
    reader = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")

    try:
        while True:
            line = sys.stdin.readline()
            if not line:  # "" means end of input (Ctrl-D, or the pipe was closed)
                break
            sock.sendall((line.rstrip("\r\n") + "\n").encode("utf-8"))
            # The server answers every line exactly once, so we wait for that answer.
            reply = reader.readline()
            if not reply:  # the server went away
                print("server closed the connection", flush=True)
                break
            print(reply.rstrip("\n"), flush=True)
    finally:
        reader.close()
        sock.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nbye", flush=True)
    except ConnectionRefusedError:
        sys.exit("could not connect: is the server running?")
