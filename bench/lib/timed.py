#!/usr/bin/env python3
"""usage: timed.py CMD [ARG...]  -> runs CMD (stdout to /dev/null), prints "WALL_US CPU_US" on stdout,
where CPU is the user+system time of CMD and every process it waited for. Exits with CMD's status."""
import os
import subprocess
import sys
import time

t0 = time.monotonic_ns()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
wall = (time.monotonic_ns() - t0) // 1000
print(wall, int((ru.ru_utime + ru.ru_stime) * 1e6))
sys.exit(os.waitstatus_to_exitcode(status))
