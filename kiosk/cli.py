"""The `kiosk` command: serve (the default), token, admin reset, backup, restore, watch,
discover."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sqlite3
import sys
import threading
import webbrowser
from dataclasses import replace
from pathlib import Path

from kiosk import __version__
from kiosk.config import Config, env_default
from kiosk.security.principal import ROLES

log = logging.getLogger("kiosk")


def _data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=env_default("DATA_DIR", None),
        help="where the database lives (default: the per-user app data folder; env KIOSK_DATA_DIR)",
    )


def _host_arg(value: str) -> str:
    from kiosk.security.hosts import host_entry

    entry = host_entry(value)
    if entry is None:
        raise argparse.ArgumentTypeError(f"not a host name: {value!r} (e.g. kiosk.shop.lan:8000)")
    return entry


def _config_from(args: argparse.Namespace) -> Config:
    config = Config(
        host=args.host,
        port=int(args.port),
        mdns=not args.no_mdns,
        open_browser=not args.no_browser,
        demo=args.demo,
        refresh_s=args.refresh,
        access_log=args.access_log,
        allowed_origins=tuple(o.rstrip("/") for o in args.allow_origin),
        allowed_hosts=tuple(dict.fromkeys(args.allow_host)),
    )
    if args.data_dir is not None:
        config = replace(config, data_dir=Path(args.data_dir))
    return config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Queue Kiosk appliance")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the appliance")
    serve.add_argument("--host", default=env_default("HOST", "0.0.0.0"))
    serve.add_argument("--port", type=int, default=env_default("PORT", 8000))
    _data_dir_arg(serve)
    serve.add_argument("--no-mdns", action="store_true", help="do not advertise on the LAN")
    serve.add_argument("--no-browser", action="store_true", help="do not open a browser")
    serve.add_argument("--demo", action="store_true", help="fill an empty shop with demo data")
    serve.add_argument(
        "--refresh", type=float, default=30.0, help="seconds between periodic full queue refreshes"
    )
    serve.add_argument("--access-log", action="store_true", help="log every HTTP request")
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="another site whose pages may use this appliance (repeatable)",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        type=_host_arg,
        metavar="NAME",
        help="another name this appliance is reached under, NAME or NAME:PORT (repeatable)",
    )

    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="print a new token (shown once)")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", default=None)
    _data_dir_arg(create)

    watch = commands.add_parser("watch", help="show a shop's live queue in this terminal")
    watch.add_argument("shop_id", type=int)
    watch.add_argument("--url", default=f"http://127.0.0.1:{env_default('PORT', 8000)}")
    watch.add_argument("--token", default=None, help="a staff token shows full names")
    watch.add_argument("--count", type=int, default=None, help="exit after this many updates")

    admin = commands.add_parser("admin", help="the owner's account")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    reset = admin_commands.add_parser(
        "reset", help="print a one-time link that sets a new admin PIN (lost PIN, unseen link)"
    )
    reset.add_argument(
        "--port", type=int, default=env_default("PORT", 8000), help="the port the appliance uses"
    )
    _data_dir_arg(reset)

    backup = commands.add_parser("backup", help="online, consistent copy of the database")
    backup.add_argument("file", type=Path)
    _data_dir_arg(backup)

    restore = commands.add_parser(
        "restore", help="put a backup in place of the database (the appliance must be stopped)"
    )
    restore.add_argument("file", type=Path)
    _data_dir_arg(restore)

    _report_parser(commands)

    discover = commands.add_parser("discover", help="list Queue Kiosk appliances on the LAN (mDNS)")
    discover.add_argument(
        "--timeout", type=float, default=3.0, help="seconds to listen for answers (default 3)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command is None:  # a double-click: serve and open the browser
        args = parser.parse_args(["serve", *(argv or [])])
    if args.command == "serve":
        return serve(_config_from(args))
    if args.command == "token":
        return token_create(args)
    if args.command == "backup":
        return backup(args)
    if args.command == "admin":
        return admin_reset(args)
    if args.command == "restore":
        return restore(args)
    if args.command == "discover":
        return discover(args.timeout)
    if args.command == "report":
        return report(args)
    if args.command == "watch":
        from kiosk.appliance.watch import watch

        try:
            return asyncio.run(
                watch(args.shop_id, args.url, max_updates=args.count, token=args.token)
            )
        except KeyboardInterrupt:
            return 0
    parser.error(f"unknown command {args.command}")
    return 2


def serve(config: Config) -> int:
    from kiosk.store.lock import DataFolderBusy
    from kiosk.store.schema import NewerDatabase

    try:
        asyncio.run(_serve(config))
    except KeyboardInterrupt:
        pass
    except (NewerDatabase, DataFolderBusy, PermissionError) as exc:
        # The owner needs one sentence, not a trace through asyncio.
        print(f"Queue Kiosk cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(config: Config) -> None:
    from aiohttp import web

    from kiosk.app import make_app
    from kiosk.http import connections
    from kiosk.keys import HTTP_CONNECTIONS, PORT, RUNTIME
    from kiosk.security import setup_link

    app = make_app(config)
    connections.raise_descriptor_limit()
    connections.quiet_accept_errors()
    # No access log by default: a shop owner reads the log for problems, and a line
    # per request costs more CPU than the request on a busy morning.
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=3.0,
        access_log=logging.getLogger("aiohttp.access") if config.access_log else None,
        keepalive_timeout=connections.HEADER_TIMEOUT_S,
    )
    await runner.setup()
    app[HTTP_CONNECTIONS].install(runner.server)
    dual_stack = connections.dual_stack_socket(config.host, config.port)
    if dual_stack is not None:
        site: web.BaseSite = web.SockSite(runner, dual_stack)
    else:
        site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows has no signal handlers on the loop: Ctrl-C arrives as KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    # Everything built so far (modules, the app, the route table) lives until exit; move
    # it out of the collector's sight, so a full collection with a thousand screens
    # connected walks their objects only, not the whole program (~70 ms -> a few).
    gc.freeze()
    port = runner.addresses[0][1]
    app[PORT].set_result(port)  # mDNS announces from here on (appliance/advertising.py)
    local = f"http://{_local_host(config.host, dual_stack is not None)}:{port}"
    print(f"Serving on {local}", flush=True)
    first_page = local + "/"
    setup_secret = app[RUNTIME].setup_secret
    if setup_secret is not None:
        # Only someone at this PC sees this link: that is what makes the claim safe.
        first_page = f"{local}/admin?setup={setup_secret}"
        print(f"First run: set the owner's PIN at {first_page}", flush=True)
        setup_link.write(config.data_dir, first_page)
    # After the PIN (the owner's first step), where each device goes.
    await _print_where_devices_go(app, config, port, local)
    if config.open_browser:
        threading.Thread(target=webbrowser.open, args=(first_page,), daemon=True).start()
    try:
        await stop.wait()
    finally:
        print("Stopping...", flush=True)
        await runner.cleanup()


def _local_host(host: str, dual_stack: bool) -> str:
    """The address to print and open on this PC: one the server really listens on."""
    if host in ("0.0.0.0", "") or (host == "::" and dual_stack):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"  # IPv6 only: 127.0.0.1 would not answer
    return f"[{host}]" if ":" in host else host


async def _print_where_devices_go(app, config: Config, port: int, local: str) -> None:
    """Two labelled lines, always (SPEC §9): where desk tablets and TVs are paired, and
    where customers' phones join. A QR code under each when a LAN device can open it;
    on 127.0.0.1 alone it would not work there, so there is none."""
    from kiosk.appliance import discovery
    from kiosk.appliance.advertising import WILDCARD_HOSTS
    from kiosk.keys import DB
    from kiosk.security.origins import is_loopback
    from kiosk.services import shops

    base, on_lan, also = local, not is_loopback(config.host.strip("[]")), ""
    if config.host in WILDCARD_HOSTS:
        addresses = await asyncio.to_thread(discovery.lan_addresses)
        on_lan = bool(addresses)
        base = discovery.primary_url(port) if on_lan else local
    if on_lan and config.mdns:
        host_name = discovery.host_name_for(await app[DB].run(shops.install_id))
        also = f" (also {host_name.rstrip('.')}:{port})"
    for label, url, tail in (
        ("Desk tablets and TVs: pair them from ", f"{base}/admin", also),
        ("Customers' phones: ", f"{base}/join", ""),
    ):
        print(f"{label}{url}{tail}", flush=True)
        if on_lan:
            print(discovery.qr_terminal(url), flush=True)


def discover(timeout: float) -> int:
    """Print one line per appliance found: name, address:port, version, shop, id, host."""
    from kiosk.appliance import discovery

    try:
        found = asyncio.run(discovery.browse(timeout=max(0.0, timeout)))
    except KeyboardInterrupt:
        return 0
    if not found:
        print("no appliances found", flush=True)
        return 0
    for service in found:
        addresses = service["addresses"]
        address = addresses[0] if addresses else service["host"].rstrip(".")
        if ":" in address:  # IPv6
            address = f"[{address}]"
        txt = service["txt"]
        fields = [
            service["name"],
            f"{address}:{service['port']}",
            *(f"{key}={txt.get(key, '')}" for key in ("version", "shop", "id")),
            f"host={service['host'].rstrip('.')}",
        ]
        print("\t".join(fields), flush=True)
    return 0


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir is not None else Config().data_dir


def token_create(args: argparse.Namespace) -> int:
    from kiosk.domain import clock
    from kiosk.services.accounts import create_token
    from kiosk.store.models import database
    from kiosk.store.schema import open_database

    config = replace(Config(), data_dir=_data_dir(args))
    open_database(config.db_path)
    try:
        with database.atomic():
            name = args.name or f"{args.role} token"
            token, secret = create_token(args.role, name, clock.iso_utc(clock.utcnow()))
    finally:
        database.close()
    print(
        f"Created {args.role} token #{token.id} ({name}). It is shown only once:", file=sys.stderr
    )
    print(secret, flush=True)
    return 0


RESET_HOURS = 24


def admin_reset(args: argparse.Namespace) -> int:
    """Whoever can run this on the PC can read the database file anyway, so a link
    printed here gives nothing away; it works once, within a day."""
    import secrets
    from datetime import timedelta

    from kiosk.domain import clock
    from kiosk.security import setup_link
    from kiosk.security.tokens import hash_secret
    from kiosk.services import accounts
    from kiosk.store.models import database
    from kiosk.store.schema import open_database

    config = replace(Config(), data_dir=_data_dir(args))
    if not config.db_path.is_file():
        print(f"no database at {config.db_path}", file=sys.stderr)
        return 1
    secret = secrets.token_urlsafe(18)
    expires = clock.iso_utc(clock.utcnow() + timedelta(hours=RESET_HOURS))
    open_database(config.db_path)
    try:
        with database.atomic():
            accounts.start_reset(hash_secret(secret), expires)
    finally:
        database.close()
    url = f"http://127.0.0.1:{args.port}/admin?reset={secret}"
    path = setup_link.write(config.data_dir, url)
    print(
        f"Open this link in a browser on this PC to set a new admin PIN (once, within "
        f"{RESET_HOURS} hours; also in {path}):",
        file=sys.stderr,
    )
    print(url, flush=True)
    return 0


def restore(args: argparse.Namespace) -> int:
    from kiosk.store import backups, lock

    config = replace(Config(), data_dir=_data_dir(args))
    if lock.running(config.data_dir):
        print(
            "Queue Kiosk is running with this data folder; stop it first, then restore.",
            file=sys.stderr,
        )
        return 1
    try:
        kept = backups.restore(Path(args.file), config.db_path, config.data_dir)
    except (backups.NotABackup, lock.DataFolderBusy) as exc:
        print(f"Cannot restore: {exc}", file=sys.stderr)
        return 1
    print(f"Restored {args.file} to {config.db_path}.")
    if kept is not None:
        print(f"The database it replaced is kept at {kept}.")
    return 0


def backup(args: argparse.Namespace) -> int:
    from kiosk.store.schema import backup_file

    source_path = replace(Config(), data_dir=_data_dir(args)).db_path
    if not source_path.is_file():
        print(f"no database at {source_path}", file=sys.stderr)
        return 1
    target = Path(args.file)
    if target.exists():
        print(f"{target} exists; refusing to overwrite it", file=sys.stderr)
        return 1
    source = sqlite3.connect(str(source_path), timeout=10)
    try:
        backup_file(source, target)
    finally:
        source.close()
    print(f"Backed up {source_path} to {target}")
    return 0


def _report_parser(commands) -> None:
    report = commands.add_parser("report", help="a range of days' totals (and its tickets as CSV)")
    report.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--shop", type=int, default=1, help="the shop's id (default 1)")
    report.add_argument("--csv", type=Path, default=None, metavar="FILE", help="write tickets")
    report.add_argument(
        "--contact", action="store_true", help="full names and phones in the CSV (the owner's)"
    )
    _data_dir_arg(report)


def report(args: argparse.Namespace) -> int:
    """Reads the file beside a running appliance: a WAL reader never blocks its writes."""
    from kiosk.appliance.report_text import run_report

    config = replace(Config(), data_dir=_data_dir(args))
    return run_report(config.db_path, args.shop, args.start, args.end, args.csv, args.contact)
