"""Try to create argv[1:] files; print one 'PATH ok' or 'PATH ERRNO-NAME' line each."""
import errno
import sys

for path in sys.argv[1:]:
    try:
        with open(path, "w") as f:
            f.write("cgspawn\n")
        print(path, "ok", flush=True)
    except OSError as e:
        print(path, errno.errorcode.get(e.errno, str(e.errno)), flush=True)
