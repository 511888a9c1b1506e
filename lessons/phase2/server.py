"""Phase 2 server: many clients at once, one thread per client, echo every line.

Run:  python lessons/phase2/server.py [--host 127.0.0.1] [--port 5000]
"""

import argparse
import socket
import threading


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Phase 2: a threaded echo server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    return parser.parse_args()


def handle_client(conn: socket.socket, addr: tuple[str, int]) -> None:
    """Talk to ONE client until it hangs up. Runs in its own thread."""
    name = f"{addr[0]}:{addr[1]}"
    print(f"{name} connected", flush=True)
    try:
        # makefile() turns the byte stream into lines; the loop ends when the
        # client closes its side of the connection (end of file).
        reader = conn.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        for line in reader:
            text = line.rstrip("\r\n")
            print(f"[{name}] {text}", flush=True)
            reply = f"echo: {text}\n"
            conn.sendall(reply.encode("utf-8"))
    except OSError:
        pass  # connection reset by the client: nothing more to do for it
    finally:
        conn.close()
        print(f"{name} disconnected", flush=True)


def main() -> None:
    args = parse_args()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.host, args.port))
    server.listen()
    print(f"listening on {args.host}:{args.port}", flush=True)

    # The main thread only accepts. Each client gets its own thread, so a client
    # that is slow to type never blocks the others (compare with phase 1).
    # daemon=True: these threads do not keep the program alive after Ctrl-C.
    try:
        while True:
            conn, addr = server.accept()
            threading.Thread(target=handle_client, args=(conn, addr), daemon=True).start()
    finally:
        server.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
