"""``motcua``: the office server's command line (server, config, devices, web users, events, stats, simulate,
plan, bench, demo, province)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from queue_server import forecast_cli, logs
from queue_server.config import ConfigError, Settings, load_settings, show
from queue_server.contract.permissions import DeviceKind


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def cmd_server(args: argparse.Namespace) -> int:
    from queue_server.app import OfficeServer
    from queue_server.config import SYSTEM_FILE
    from queue_server.office_marker import EmptyStoreError

    if args.config is None and not SYSTEM_FILE.exists():
        # The shipped defaults describe a sample office: never run a real one on them by accident.
        raise ConfigError(
            f"no configuration: give --config FILE or create {SYSTEM_FILE} (the sample office runs with motcua demo)"
        )
    settings = _settings(args)
    logs.configure(settings.server.log_level)
    try:
        OfficeServer(settings, accept_empty_store=args.accept_empty_store).run_forever()
    except EmptyStoreError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_config_show(args: argparse.Namespace) -> int:
    print(show(_settings(args)), end="")
    return 0


def cmd_device(args: argparse.Namespace) -> int:
    from queue_server import provisioning

    settings = _settings(args)
    logs.configure("WARNING")
    if args.device_cmd == "add":
        password = provisioning.add_device(settings, args.device_id, args.kind, args.counter)
        ca_file = provisioning.device_ca_file(settings, args.device_id)
        print(f"device {args.device_id} ({args.kind}) added.")
        if args.out is not None:
            from queue_server.device_files import device_config_text, write_device_config

            text = device_config_text(settings, args.device_id, args.kind, args.counter, password,
                                      ca_file=ca_file, host=args.host)  # fmt: skip
            written = write_device_config(args.out, text)
            print(f"config written to {written} (mode 0600, it holds the password): copy it to the device.")
        else:
            print(f"username: {args.device_id}\npassword: {password}")
            print("The password is shown once; put it in the device's config now.")
        if ca_file is not None:
            print(f"ca_file: {ca_file}")
            print(f"Copy it to the device and set ca_file and port = {settings.broker.tls_port} in its [link].")
    elif args.device_cmd == "list":
        for device in provisioning.list_devices(settings):
            state = "revoked " + device.revoked_at.isoformat() if device.revoked_at else "active"
            print(f"{device.device_id:<20} {device.kind.value:<8} {device.counter_id or '-':<10} {state}")
    else:
        provisioning.revoke_device(settings, args.device_id)
        print(f"device {args.device_id} revoked.")
        if settings.broker.kind == "embedded":
            print("A running server's embedded broker drops its connection within a few seconds.")
    if args.device_cmd != "list" and settings.broker.kind == "mosquitto":
        pid_file = settings.broker.mosquitto_pid_file
        if pid_file is None or not pid_file.exists():
            print("Mosquitto's password and ACL files were rewritten: run `systemctl reload mosquitto` to apply.")
    return 0


def cmd_tls_ca(args: argparse.Namespace) -> int:
    """``tls ca``: the office CA certificate (PEM) that devices need to verify the broker; made if missing."""
    from queue_server.app import office_certificates

    settings = _settings(args)
    certificates = office_certificates(settings)
    ca_file = settings.server.data_dir / "tls" / "ca.pem"  # made by `web nginx-config` too
    if certificates is not None:
        ca_file = certificates.ca_cert
    elif not ca_file.exists():
        print("motcua: [broker] tls is off: there is no office CA to give the devices", file=sys.stderr)
        return 2
    print(ca_file.read_text(encoding="ascii"), end="")
    return 0


def cmd_broker_config(args: argparse.Namespace) -> int:
    """``broker config``: write Mosquitto's files (config, passwd, acl, TLS copies) and reload it if running."""
    from queue_server import provisioning

    settings = _settings(args)
    logs.configure("WARNING")
    if settings.broker.kind != "mosquitto" or settings.broker.mosquitto_dir is None:
        print('motcua: set [broker] kind = "mosquitto" and mosquitto_dir first', file=sys.stderr)
        return 2
    devices = provisioning.list_devices(settings)
    conf = provisioning.sync_mosquitto(settings, [d for d in devices if d.active])
    print(f"wrote {conf}")
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """``web create-admin`` / ``web add-user``: a web user, with the password typed twice or read from stdin."""
    from queue_server.app import open_store
    from queue_server.store.web_users import Role, UserError, create_user

    settings = _settings(args)
    logs.configure("WARNING")
    role = Role.ADMIN if args.web_cmd == "create-admin" else Role(args.role)
    office = getattr(args, "office", None)
    if office is None and role in (Role.STAFF, Role.MANAGER):
        office = settings.office.id
    counter, staff = getattr(args, "counter", None), getattr(args, "staff", None)
    for kind, value, known in (
        ("counter", counter, {c.id for c in settings.counters}),
        ("staff member", staff, {s.id for s in settings.staff}),
    ):
        if value is not None and value not in known:
            print(f"motcua: warning: {kind} {value!r} is not in the configuration", file=sys.stderr)
    password = _new_password(args.password_stdin)
    if password is None:
        return 2
    store = open_store(settings)
    try:
        create_user(store.engine, args.username, password, role, office_id=office, counter_id=counter, staff_id=staff)
    except UserError as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"web user {args.username} ({role.value}) created.")
    return 0


def cmd_web_nginx(args: argparse.Namespace) -> int:
    """``web nginx-config``: the nginx site that puts the web behind HTTPS (``queue_server.web.nginx``)."""
    from queue_server.web.nginx import site_config, site_for

    settings = _settings(args)
    web = settings.web
    if (args.cert is None) != (args.key is None):
        print("motcua: give both --cert and --key, or neither (a certificate from the office CA)", file=sys.stderr)
        return 2
    if args.cert is None:
        from queue_server.app import web_certificate

        logs.configure("WARNING")
        cert, key = web_certificate(settings, args.server_name.split())
        print(
            f"certificate from the office CA: {cert} (staff PCs and phones that trust "
            f"{cert.with_name('ca.pem')} get a verified page; `motcua tls ca` prints it)",
            file=sys.stderr,
        )
    else:
        cert, key = args.cert, args.key
    site = site_for(
        web,
        web.host,
        web.port,
        cert=cert.resolve(),
        key=key.resolve(),
        server_name=args.server_name,
        https_port=args.https_port,
        http_port=None if args.http_port == 0 else args.http_port,
        listen=args.listen,
    )
    text = site_config(site)
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text)
        print(f"nginx site written to {args.output}", file=sys.stderr)
    if not web.behind_proxy or web.host not in ("127.0.0.1", "::1", "localhost"):
        print('motcua: now set [web] behind_proxy = true and host = "127.0.0.1" in motcua.toml', file=sys.stderr)
    return 0


def _new_password(from_stdin: bool) -> str | None:
    """The new user's password: one line of stdin, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Mật khẩu / Password: ")
    if getpass.getpass("Nhập lại / Again: ") != first:
        print("motcua: the passwords differ; nothing was changed", file=sys.stderr)
        return None
    return first


EXIT_EXPORT_SKIPPED = 3
"""``events export`` wrote every readable event but skipped unreadable ones (listed on stderr)."""


def cmd_events(args: argparse.Namespace) -> int:
    from queue_server.app import open_store
    from queue_server.store.event_store import CorruptEventError
    from queue_server.store.jsonl import export_jsonl, import_jsonl

    settings = _settings(args)
    store = open_store(settings)
    try:
        if args.events_cmd == "export":
            skipped: list[CorruptEventError] = []
            with _open_out(args.output) as fp:
                count = export_jsonl(store, fp, skipped)
            for error in skipped:
                print(f"motcua: skipped unreadable event seq {error.seq} ({error.event_id}): {error.reason}",
                      file=sys.stderr)  # fmt: skip
            print(f"exported {count} events, skipped {len(skipped)} unreadable", file=sys.stderr)
            return EXIT_EXPORT_SKIPPED if skipped else 0
        else:
            with open(args.file, encoding="utf-8") as fp:
                count = import_jsonl(store, fp)
            print(f"imported {count} new events", file=sys.stderr)
    finally:
        store.close()
    return 0


def _open_out(path: str | None):  # type: ignore[no-untyped-def]
    import contextlib

    if path in (None, "-"):
        return contextlib.nullcontext(sys.stdout)
    return open(path, "w", encoding="utf-8")


def cmd_stats(args: argparse.Namespace) -> int:
    from queue_server.app import open_store
    from queue_server.stats import run

    settings = _settings(args)
    store = open_store(settings)
    try:
        return run(
            store, settings.office_setup(), args.start, args.end, args.format, args.output, settings.office_targets()
        )
    finally:
        store.close()


def cmd_bench(args: argparse.Namespace) -> int:
    from queue_server.bench.run import main as bench_main

    return int(bench_main(quick=args.quick))


def cmd_demo(args: argparse.Namespace) -> int:
    from queue_server.demo.office import run_demo

    return run_demo(args.config, seconds=args.seconds, seed=args.seed)


def cmd_province(args: argparse.Namespace) -> int:
    from queue_server.province.main import province_main

    return province_main(args.settings)


def cmd_province_add_user(args: argparse.Namespace) -> int:
    from queue_server.province.main import add_province_user

    password = _new_password(args.password_stdin)
    if password is None:
        return 2
    try:
        print(add_province_user(args.settings, args.username, password, args.role, args.office))
    except ValueError as exc:  # users.UserError, or an unknown role
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="motcua office queue server")
    parser.add_argument("--config", type=Path, default=None, help="config file (default /etc/motcua/motcua.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("server", help="run the office server (needs --config or /etc/motcua/motcua.toml)")
    server.add_argument(
        "--accept-empty-store",
        action="store_true",
        help="start even if the event store is empty while this office's data folder says it had events",
    )
    server.set_defaults(func=cmd_server)
    config = sub.add_parser("config", help="configuration").add_subparsers(dest="config_cmd", required=True)
    config.add_parser("show", help="print the effective configuration, secrets masked").set_defaults(
        func=cmd_config_show
    )
    device = sub.add_parser("device", help="device credentials").add_subparsers(dest="device_cmd", required=True)
    add = device.add_parser("add", help="register a device and print its password once")
    add.add_argument("device_id")
    add.add_argument("--kind", choices=[kind.value for kind in DeviceKind], required=True)
    add.add_argument("--counter", default=None, help="the counter a counter unit belongs to")
    add.add_argument("--out", type=Path, default=None, metavar="PATH",
                     help="write the device's config file (with its password, mode 0600) there")  # fmt: skip
    add.add_argument("--host", default=None, help="with --out: the broker address the device connects to")
    device.add_parser("list", help="list devices")
    revoke = device.add_parser("revoke", help="revoke a device's credentials")
    revoke.add_argument("device_id")
    for p in (add, revoke, device.choices["list"]):
        p.set_defaults(func=cmd_device)
    tls = sub.add_parser("tls", help="the office CA for the broker's TLS").add_subparsers(dest="tls_cmd", required=True)
    tls.add_parser("ca", help="print the office CA certificate (PEM) the devices need").set_defaults(func=cmd_tls_ca)
    broker = sub.add_parser("broker", help="the office broker").add_subparsers(dest="broker_cmd", required=True)
    broker.add_parser("config", help="write Mosquitto's config, passwd and acl files; reload it").set_defaults(
        func=cmd_broker_config
    )
    web = sub.add_parser("web", help="web users, the HTTPS proxy").add_subparsers(dest="web_cmd", required=True)
    admin = web.add_parser("create-admin", help="create an administrator of the web pages")
    user = web.add_parser("add-user", help="create a web user with a role")
    user.add_argument("--role", choices=["staff", "manager", "province_manager", "admin"], required=True)
    user.add_argument("--office", default=None, help="the office a manager runs (default: this office)")
    user.add_argument("--counter", default=None, help="the counter a staff member works at")
    user.add_argument("--staff", default=None, help="the staff id (from the configuration) of a staff member")
    for p in (admin, user):
        p.add_argument("username")
        p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        p.set_defaults(func=cmd_web)
    nginx = web.add_parser("nginx-config", help="write the nginx site for HTTPS in front of the web pages")
    nginx.add_argument(
        "--cert", type=Path, default=None, help="the server certificate (PEM, chain included; default: the office CA's)"
    )
    nginx.add_argument("--key", type=Path, default=None, help="its private key (PEM)")
    nginx.add_argument("--server-name", default="_", help="the name(s) the office's PCs and phones use")
    nginx.add_argument("--https-port", type=int, default=443)
    nginx.add_argument("--http-port", type=int, default=80, help="plain HTTP that redirects to HTTPS (0: none)")
    nginx.add_argument("--listen", default="", help="the address to listen on (default: all)")
    nginx.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: standard output)")
    nginx.set_defaults(func=cmd_web_nginx)
    events = sub.add_parser("events", help="event log").add_subparsers(dest="events_cmd", required=True)
    export = events.add_parser("export", help="write the event log as JSON Lines (docs/events.md)")
    export.add_argument("--output", "-o", default=None)
    imp = events.add_parser("import", help="add events from a JSON Lines file (idempotent)")
    imp.add_argument("file")
    for p in (export, imp):
        p.set_defaults(func=cmd_events)
    stats = sub.add_parser("stats", help="a period's figures against the targets (docs/statistics.md)")
    stats.add_argument("--from", dest="start", default=None, help="first local day, YYYY-MM-DD (default: today)")
    stats.add_argument("--to", dest="end", default=None, help="last local day, inclusive (default: --from)")
    stats.add_argument("--format", choices=["text", "xlsx", "pdf", "csv"], default="text", help="report format")
    stats.add_argument("--output", "-o", default=None, help="file to write (needed for xlsx and pdf)")
    stats.set_defaults(func=cmd_stats)
    forecast_cli.add_parser(sub)
    bench = sub.add_parser("bench", help="benchmarks through real Mosquitto; prints a table")
    bench.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    bench.set_defaults(func=cmd_bench)
    from queue_server.simulate.cli import add_parser as add_simulate

    add_simulate(sub)
    from queue_server.planner.cli import add_parser as add_plan

    add_plan(sub)
    from firmware.voice.clips_cli import add_parser as add_voice

    add_voice(sub)
    demo = sub.add_parser("demo", help="the whole office on embedded defaults with simulated devices")
    demo.add_argument("--seconds", type=float, default=None, help="stop after this long (default: until Ctrl-C)")
    demo.add_argument(
        "--seed", type=int, default=None, help="the simulated devices repeat the same script (default: random)"
    )
    demo.set_defaults(func=cmd_demo)
    province = sub.add_parser("province", help="run the province server: every office's events into one database")
    province.add_argument(
        "--settings", type=Path, default=None, help="province settings (default /etc/motcua/province.toml)"
    )
    province.set_defaults(func=cmd_province)
    province_cmds = province.add_subparsers(dest="province_cmd")
    from queue_server.ops.cli import add_parsers as add_operations

    add_operations(sub, province_cmds)
    add_user = province_cmds.add_parser("add-user", help="create a web user of the province dashboard")
    add_user.add_argument("username")
    add_user.add_argument("--role", choices=["province_manager", "admin", "manager"], required=True)
    add_user.add_argument("--office", default=None, help="the office a manager sees")
    add_user.add_argument("--settings", type=Path, default=argparse.SUPPRESS, help="province settings")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_user.set_defaults(func=cmd_province_add_user)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from queue_server.store.event_store import StoreError

    try:
        return int(args.func(args))
    except (ConfigError, StoreError) as exc:
        print(f"motcua: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
