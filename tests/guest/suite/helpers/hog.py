"""Allocate and touch MB megabytes (argv[1]); prints 'hog: survived' if allowed."""
import sys

size = int(sys.argv[1]) * 1024 * 1024
print("hog: allocating", flush=True)
buf = bytearray(size)
for i in range(0, size, 4096):
    buf[i] = 1
print("hog: survived", flush=True)
