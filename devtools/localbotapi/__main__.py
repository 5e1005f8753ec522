"""Run the double standalone: ``python -m devtools.localbotapi --port 8081``.

Any token is accepted.  ``--user`` creates chats the bot may write to;
``--chat ID`` additionally lets you talk to the bot as that user from the
terminal (plain lines are messages, ``!press LABEL`` presses an inline button).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import LocalBotApi


def _print_replies(user, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            message = user.wait_for(timeout=0.5)
        except TimeoutError:
            continue
        buttons = f"  [{' | '.join(message.button_texts)}]" if message.buttons else ""
        document = f"  <document {message.document['file_name']}>" if message.document else ""
        print(f"bot> {message.content}{buttons}{document}", flush=True)


def _chat(server: LocalBotApi, user_id: int) -> None:
    user = server.user(user_id)
    stop = threading.Event()
    threading.Thread(target=_print_replies, args=(user, stop), daemon=True).start()
    try:
        for line in sys.stdin:
            line = line.rstrip("\n")
            if line.startswith("!press "):
                try:
                    user.press(line.removeprefix("!press "))
                except ValueError as problem:
                    print(problem, flush=True)
            elif line:
                user.send(line)
    finally:
        stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.localbotapi", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-username", default="LaporDesaBot")
    parser.add_argument("--user", type=int, action="append", default=[], help="a user id the bot may message")
    parser.add_argument("--chat", type=int, help="chat with the bot as this user id via stdin/stdout")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly when a test runner terminates us
    server = LocalBotApi(args.host, args.port, bot_username=args.bot_username).start()
    for user_id in args.user:
        server.user(user_id)
    print(f"base_url={server.base_url}", flush=True)
    print(f"base_file_url={server.base_file_url}", flush=True)
    try:
        if args.chat is not None:
            _chat(server, args.chat)
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for violation in server.violations:
            print(f"violation: {violation}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
