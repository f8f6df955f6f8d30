#!/usr/bin/env python3
"""A real SMTP server on loopback for the notification tests (aiosmtpd).

Every accepted message is written to --dir as NNNNNN.eml (the raw bytes as
received, with an X-Envelope-To header in front), so a test can read exactly
what arrived; the reply to it is "250 2.0.0 OK queued as NNNNNN". Failure
modes, to test that nothing is lost or sent twice:

  --mode ok         accept everything
  --mode tempfail   answer 451 to the first --fail-first messages, then accept
  --mode permfail   answer 550 to every message
  --mode drop       close the connection after DATA, without answering, for
                    the first --fail-first messages (they are not stored:
                    an unacknowledged message is not delivered)
  --auth USER:PASS  require AUTH LOGIN/PLAIN with these credentials

Prints "ready <port>" on stdout once it listens (--port 0: a port the system
picks); stops on SIGTERM or SIGINT.
"""

import argparse
import itertools
import os
import signal
import socket
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, directory, mode, fail_first):
        self.directory = directory
        self.mode = mode
        self.fail_first = fail_first
        self.attempts = 0
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            attempt = self.attempts
        if self.mode == "tempfail" and attempt <= self.fail_first:
            return "451 4.3.0 Temporary failure, try again later"
        if self.mode == "permfail":
            return "550 5.1.1 Mailbox unavailable"
        if self.mode == "drop" and attempt <= self.fail_first:
            session.transport.close() if hasattr(session, "transport") and session.transport else None
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        n = next(self.counter)
        path = os.path.join(self.directory, f"{n:06d}.eml")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(("X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n").encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, path)
        # The reply names the file, so a test can match what onboard kept
        # of the reply with what arrived.
        return f"250 2.0.0 OK queued as {n:06d}"


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == self.user and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    warnings.simplefilter("ignore")  # AUTH without TLS is deliberate here
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", default="ok", choices=["ok", "tempfail", "permfail", "drop"])
    p.add_argument("--fail-first", type=int, default=1)
    p.add_argument("--auth", default=None)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kwargs = {}
    if a.auth:
        user, password = a.auth.split(":", 1)
        kwargs = dict(authenticator=Authenticator(user, password), auth_required=True, auth_require_tls=False)
    handler = Handler(a.dir, a.mode, a.fail_first)
    # With --port 0 the sink picks a free port itself and says which: the
    # test never chooses one that another process may take before the sink
    # binds it. (aiosmtpd checks its own port after binding, so the free port
    # is found first; if it is taken meanwhile, the next one is tried.)
    for _ in range(20):
        port = a.port or free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=0, **kwargs)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            if a.port:
                raise
    else:
        raise SystemExit("no free port")
    print(f"ready {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
