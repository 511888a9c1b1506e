"""Phase 3 server: a chat room. Every line a client sends goes to all the OTHER clients.

Run:  python lessons/phase3/server.py [--host 127.0.0.1] [--port 5000]
A client leaves by sending /exit (or simply by disconnecting).
"""

import argparse
import socket
import threading

# Every connected client, shared by all the client threads.
clients: list[socket.socket] = []
# Two threads changing one list at the same moment can corrupt it (or make a loop
# skip someone), so every read or change of `clients` happens while holding this lock.
clients_lock = threading.Lock()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Phase 3: a broadcast chat server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    return parser.parse_args()


def remove_client(conn: socket.socket) -> bool:
    """Take conn out of the list; True if it was still there."""
    with clients_lock:
        if conn in clients:
            clients.remove(conn)
            return True
        return False


def broadcast(text: str, sender: socket.socket) -> None:
    """Send one line to every client except the sender (who already knows what it said)."""
    data = (text + "\n").encode("utf-8")
    with clients_lock:
        others = [c for c in clients if c is not sender]  # a copy: we send without the lock
    for conn in others:
        try:
            conn.sendall(data)
        except OSError:
            # This client vanished. Drop it, and shut its socket down so that the
            # thread reading from it wakes up, cleans up and announces the leave.
            remove_client(conn)
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle_client(conn: socket.socket, addr: tuple[str, int]) -> None:
    """Relay everything one client says, until it sends /exit or disconnects."""
    name = f"{addr[0]}:{addr[1]}"
    with clients_lock:
        clients.append(conn)
    print(f"* {name} joined", flush=True)
    broadcast(f"* {name} joined", sender=conn)
    try:
        reader = conn.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        for line in reader:  # ends on EOF: the client closed the connection
            text = line.rstrip("\r\n")
            if text == "/exit":
                break
            print(f"[{name}] {text}", flush=True)
            broadcast(f"[{name}] {text}", sender=conn)
    except OSError:
        pass  # connection reset: the client vanished without saying /exit
    finally:
        remove_client(conn)
        conn.close()
        print(f"* {name} left", flush=True)
        broadcast(f"* {name} left", sender=conn)


def main() -> None:
    args = parse_args()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.host, args.port))
    server.listen()
    print(f"listening on {args.host}:{args.port}", flush=True)
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
