#!/usr/bin/env python3
"""bench/serial_limit.py DIR [COUNT] [SIZE]: the simplest durable file, in a serial loop.

Each iteration writes SIZE bytes to DIR/tmp/N, fsyncs it, renames it to DIR/msg/N and fsyncs
DIR/msg: the least a one-file-per-message spool must do before answering 250. Prints one JSON
line: files/s. This is the "serial limit" bench/accept compares the gateway's accept rate with,
measured on the same file system in the same run.
"""
import json
import os
import sys
import time


def main():
    root = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    tmp, msg = os.path.join(root, "tmp"), os.path.join(root, "msg")
    os.makedirs(tmp, exist_ok=True)
    os.makedirs(msg, exist_ok=True)
    data = b"x" * size
    dfd = os.open(msg, os.O_RDONLY | os.O_DIRECTORY)
    start = time.monotonic()
    for n in range(count):
        path = os.path.join(tmp, str(n))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        os.rename(path, os.path.join(msg, str(n)))
        os.fsync(dfd)
    elapsed = time.monotonic() - start
    os.close(dfd)
    for n in range(count):
        os.unlink(os.path.join(msg, str(n)))
    print(json.dumps({"files": count, "size": size, "secs": round(elapsed, 3),
                      "files_per_s": round(count / elapsed, 1)}))


if __name__ == "__main__":
    main()
