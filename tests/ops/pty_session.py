#!/usr/bin/python3
"""Runs a command on a pseudo-terminal as a person at a terminal would, for the tty tests.

  pty_session.py [--expect REGEX --send TEXT]... [--stdout-pipe] [--timeout S] -- ARGV...

stdin, stdout and stderr of the command are the pty's slave (with --stdout-pipe, stdout is a
pipe instead, stdin and stderr stay the terminal). Each --expect waits until the terminal output
so far matches REGEX (Python re, DOTALL) and then types TEXT ("\\n" is Enter). Prints what the
terminal showed (as bytes arrive: "\\r\\n" line ends, escape sequences and echoed input
included), then, with --stdout-pipe, a line "--- stdout ---" and what the pipe got. Exits with
the command's exit code; 124 if an --expect or the command times out (the transcript is printed).
"""
import os
import pty
import re
import select
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    steps, stdout_pipe, timeout = [], False, 60.0
    while args and args[0] != "--":
        a = args.pop(0)
        if a == "--expect":
            steps.append([args.pop(0), None])
        elif a == "--send":
            steps[-1][1] = args.pop(0).encode().decode("unicode_escape")
        elif a == "--stdout-pipe":
            stdout_pipe = True
        elif a == "--timeout":
            timeout = float(args.pop(0))
        else:
            sys.exit(f"pty_session.py: unknown option {a}")
    argv = args[1:]
    master, slave = pty.openpty()
    env = dict(os.environ, TERM=os.environ.get("TERM", "xterm"))
    proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE if stdout_pipe else slave, stderr=slave,
                            env=env, start_new_session=True,
                            preexec_fn=lambda: __import__("fcntl").ioctl(0, __import__("termios").TIOCSCTTY, 0))
    os.close(slave)
    seen, piped = b"", b""
    deadline = time.monotonic() + timeout
    fds = [master] + ([proc.stdout.fileno()] if stdout_pipe else [])
    step = 0
    while fds and time.monotonic() < deadline:
        if step < len(steps) and re.search(steps[step][0].encode(), seen, re.S):
            os.write(master, steps[step][1].encode())
            step += 1
            continue
        ready, _, _ = select.select(fds, [], [], 0.1)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                data = b""
            if not data:
                fds.remove(fd)
            elif fd == master:
                seen += data
            else:
                piped += data
        if not fds or (proc.poll() is not None and not ready):
            break
    timed_out = time.monotonic() >= deadline or step < len(steps)
    if proc.poll() is None:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            timed_out = True
    sys.stdout.buffer.write(seen)
    if stdout_pipe:
        sys.stdout.buffer.write(b"\n--- stdout ---\n" + piped)
    sys.stdout.flush()
    if timed_out:
        sys.stderr.write(f"pty_session.py: timed out waiting for {steps[step][0] if step < len(steps) else 'the command'}\n")
        return 124
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
