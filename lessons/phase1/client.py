"""Phase 1 client: connect, say hello, print the answer, quit.

Run:  python lessons/phase1/client.py [--host 127.0.0.1] [--port 5000]
"""

import argparse
import socket
import sys

MESSAGE = "Hello Server"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Phase 1: a one-shot TCP client")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    return parser.parse_args()


def main() -> None:
    args = parse_args()

    # The client does not bind or listen: it just connects to the server's address.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((args.host, args.port))

    # One message = one line of UTF-8 text ending with "\n".
    # Sockets carry bytes, so the text is encoded to UTF-8 first.
    sock.sendall((MESSAGE + "\n").encode("utf-8"))

    # Read until a whole line has arrived (see the server for why).
    reader = sock.makefile("r", encoding="utf-8", newline="\n")
    answer = reader.readline().rstrip("\n")
    print(answer, flush=True)

    reader.close()
    sock.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
    except ConnectionRefusedError:
        sys.exit("could not connect: is the server running?")
