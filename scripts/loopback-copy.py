"""The machine's ceiling for sending a file over loopback TCP: `clients` connections at
once, each sent the whole file with sendfile(2) (the kernel's zero-copy send, as a static
file server does) and read by its client into a 1 MiB buffer. Prints the seconds taken.

Usage: python3 loopback-copy.py FILE CLIENTS
"""
import os
import socket
import sys
import threading
import time

path, clients = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path)
listener = socket.create_server(("127.0.0.1", 0), backlog=clients)
port = listener.getsockname()[1]


def serve():
    conn, _ = listener.accept()
    with conn, open(path, "rb") as f:
        sent = 0
        while sent < size:
            sent += os.sendfile(conn.fileno(), f.fileno(), sent, size - sent)


def receive(got):
    with socket.create_connection(("127.0.0.1", port)) as s:
        buf = bytearray(1 << 20)
        n = 0
        while True:
            r = s.recv_into(buf)
            if not r:
                break
            n += r
        got.append(n)


servers = [threading.Thread(target=serve) for _ in range(clients)]
for t in servers:
    t.start()
got = []
started = time.monotonic()
readers = [threading.Thread(target=receive, args=(got,)) for _ in range(clients)]
for t in readers:
    t.start()
for t in readers + servers:
    t.join()
seconds = time.monotonic() - started
assert got == [size] * clients, got
print(seconds)
