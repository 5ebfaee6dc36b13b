"""Run a command on a pseudo-terminal (as a person at a terminal would), answer its password
prompt, and print everything the terminal showed, then the exit status on the last line.

usage: pty_prompt.py PASSWORD_ENV -- COMMAND ARGS...
The password is read from the environment variable PASSWORD_ENV, never from argv.
"""
import os
import pty
import sys
import termios
import time

password = os.environ[sys.argv[1]].encode()
argv = sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
shown = b""
answered = False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
    if not answered and b"password" in shown.lower():
        # Type like a person: once the program has switched echo off (or after 2 s anyway,
        # in which case an echoed password makes the caller's check fail).
        deadline = time.time() + 2
        while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
            time.sleep(0.01)
        os.write(fd, password + b"\n")
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode("utf-8", "replace"))
sys.stdout.write("\nEXIT %d\n" % os.waitstatus_to_exitcode(status))
