"""Send N small messages through the gateway with T threads; print the X-Test-Id of each
message the gateway acknowledged with 250, one per line, flushed as soon as it is known, so a
parent can kill the gateway mid-load and still know exactly which messages were accepted.

usage: load.py HOST PORT TO PREFIX N THREADS
"""
import smtplib
import sys
import threading

host, port, rcpt, prefix = sys.argv[1:5]
n, threads = int(sys.argv[5]), int(sys.argv[6])
lock = threading.Lock()
counter = iter(range(n))


def worker():
    while True:
        with lock:
            i = next(counter, None)
        if i is None:
            return
        tid = f"{prefix}-{i}"
        body = (f"From: mfp@example.test\r\nTo: {rcpt}\r\nSubject: load {i}\r\n"
                f"X-Test-Id: {tid}\r\n\r\n" + ("scan data line\r\n" * 200))
        try:
            with smtplib.SMTP(host, int(port), local_hostname="mfp.example.test", timeout=10) as s:
                s.sendmail("mfp@example.test", [rcpt], body)
        except Exception:
            continue
        with lock:
            sys.stdout.write(tid + "\n")
            sys.stdout.flush()


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
