"""Phase 3 client: chat. What others say is printed while you type.

Run:  python lessons/phase3/client.py [--host 127.0.0.1] [--port 5000]
Type /exit to leave (Ctrl-D or Ctrl-C do the same).
"""

import argparse
import socket
import sys
import threading


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Phase 3: a chat client")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    return parser.parse_args()


def receive_loop(sock: socket.socket) -> None:
    """Print every line from the server. Runs in its own thread, because the
    main thread is busy waiting for your keyboard and messages can come at any time."""
    try:
        reader = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        for line in reader:
            print(line.rstrip("\n"), flush=True)
    except OSError:
        pass
    print("* disconnected from the server", flush=True)


def send_loop(sock: socket.socket) -> None:
    """Send each line typed (or piped in) until /exit or end of input."""
    while True:
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            line = ""  # Ctrl-C: leave like /exit
        text = line.rstrip("\r\n")
        if not line:  # end of input: leave politely, as if /exit had been typed
            text = "/exit"
        try:
            sock.sendall((text + "\n").encode("utf-8"))
        except OSError:
            return  # the server is gone; the reader thread has already said so
        if text == "/exit":
            return


def main() -> None:
    args = parse_args()
    sock = socket.create_connection((args.host, args.port))
    host, port = sock.getsockname()[:2]
    print(f"connected as {host}:{port}", flush=True)

    # daemon=True: if the main thread ends, this thread does not keep the program alive.
    receiver = threading.Thread(target=receive_loop, args=(sock,), daemon=True)
    receiver.start()
    send_loop(sock)

    # After /exit the server closes our connection; give the reader a moment to
    # print whatever was still on its way, then close our side.
    receiver.join(timeout=2)
    sock.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nbye", flush=True)
    except ConnectionRefusedError:
        sys.exit("could not connect: is the server running?")
