# Prints "create NAME" / "moved_to NAME" for every entry that appears in the directory argv[1]
# (inotify through ctypes: the standard library has no binding). Used by ApiSocketModeIT.
import ctypes, os, struct, sys

IN_MOVED_TO, IN_CREATE = 0x80, 0x100
libc = ctypes.CDLL("libc.so.6", use_errno=True)
fd = libc.inotify_init()
if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(), IN_CREATE | IN_MOVED_TO) < 0:
    sys.exit("inotify: " + os.strerror(ctypes.get_errno()))
print("ready", flush=True)
while True:
    buf = os.read(fd, 65536)
    i = 0
    while i < len(buf):
        _, mask, _, size = struct.unpack_from("iIII", buf, i)
        name = buf[i + 16:i + 16 + size].rstrip(b"\0").decode(errors="replace")
        print(("create " if mask & IN_CREATE else "moved_to ") + name, flush=True)
        i += 16 + size
