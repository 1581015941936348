"""`python -m imagedash.emulator --port 8001`: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import sys

from imagedash.emulator.app import from_environment
from imagedash.emulator.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m imagedash.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    app = from_environment()
    print(f"Compute API emulator on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(app, args.host, args.port, quiet=args.quiet)


if __name__ == "__main__":
    main()
