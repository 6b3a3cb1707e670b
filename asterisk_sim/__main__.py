"""`python -m asterisk_sim [--port 8088] [--user u --password p] [--app prowebcrm]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .simulator import run_forever


def main() -> None:
    parser = argparse.ArgumentParser(description="Simulated Asterisk (ARI) for demos and tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--user", default="asterisk")
    parser.add_argument("--password", default="asterisk")
    parser.add_argument("--app", default="prowebcrm", help="Stasis app of the [inbound] context")
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_forever(
                args.host,
                args.port,
                user=args.user,
                password=args.password,
                app_for_inbound=args.app,
                time_scale=args.time_scale,
            )
        )


if __name__ == "__main__":
    main()
