"""Runs a command on a pseudo-terminal of a given size and plays a dialogue with it.

usage: pty-driver.py ROWS COLS COMMAND...   (the dialogue comes on stdin, one step a line)
  send TEXT         types TEXT and a carriage return (as a user pressing Enter)
  expect REGEX      waits until what the terminal showed since the last expect matches
  expect-winch REGEX  the same, sending the command SIGWINCH again each second while it waits: ctr
                    installs its SIGWINCH handler only after its first resize call has returned, so
                    a resize the kernel signalled before that is lost on ctr's side
  resize ROWS COLS  sets the terminal's size (the kernel sends the command SIGWINCH)
  run SHELL-LINE    runs SHELL-LINE beside the command (not on its terminal), shows "RAN <code> <output>"
Everything the terminal shows is copied to stdout; the last line is "EXIT <code>" (the command's
exit status), or "TIMEOUT <step>" after 60 s on one step, with the command killed.
"""
import fcntl
import os
import re
import select
import signal
import subprocess
import struct
import sys
import termios
import time

STEP_SECONDS = 60


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    rows, cols, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    steps = sys.stdin.read().splitlines()
    master, slave = os.openpty()
    set_size(slave, rows, cols)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(slave)
        os.execvp(argv[0], argv)
    os.close(slave)
    seen = b""
    out = sys.stdout.buffer

    def pump(timeout):
        nonlocal seen
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return None
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        if not data:
            return False
        seen += data
        out.write(data)
        out.flush()
        return True

    for step in steps:
        verb, _, arg = step.partition(" ")
        if verb == "send":
            os.write(master, arg.encode() + b"\r")
        elif verb == "resize":
            r, c = arg.split()
            set_size(master, int(r), int(c))
        elif verb == "run":
            r = subprocess.run(arg, shell=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=STEP_SECONDS)
            out.write(b"\nRAN %d " % r.returncode + r.stdout + r.stderr + b"\n")
            out.flush()
        elif verb in ("expect", "expect-winch"):
            pattern = re.compile(arg.encode())
            deadline = time.monotonic() + STEP_SECONDS
            winch_at = time.monotonic() + 1
            while not pattern.search(seen):
                if verb == "expect-winch" and time.monotonic() > winch_at:
                    os.kill(pid, signal.SIGWINCH)
                    out.write(b"\n[SIGWINCH again]\n")
                    winch_at = time.monotonic() + 1
                if time.monotonic() > deadline or pump(0.2) is False:
                    if not pattern.search(seen):
                        out.write(("\nTIMEOUT " + step + "\n").encode())
                        out.flush()
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        sys.exit(2)
            seen = b""
    deadline = time.monotonic() + STEP_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            while pump(0.05) is True:
                pass
            out.write(("\nEXIT %d\n" % os.waitstatus_to_exitcode(status)).encode())
            return
        pump(0.1)
    out.write(b"\nTIMEOUT waiting for the exit\n")
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit(2)


main()
