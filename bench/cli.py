"""`python -m bench` / `bench/run.sh`: run every scenario against every server, in alternation.

For each scenario, for each repetition, for each server: start a fresh server (pinned to core 0),
run the scenario from this process (pinned to core 1), stop the server. Then medians, a
Markdown table, JSON and a PNG chart in bench/results/<timestamp>/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import loadgen, report
from bench.scenarios import SCALES, Scale, Scenario, build
from bench.servers import (
    ALIASES,
    REPO,
    ClusterRunning,
    Running,
    Server,
    ServerError,
    all_servers,
    raise_nofile,
)

DEFAULT_SERVERS = ("socketchat", "ngircd", "inspircd", "miniircd")
SERVER_CORE = 0
GEN_CORE = 1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Benchmark socketchat side by side with ngIRCd, InspIRCd and miniircd.",
    )
    p.add_argument(
        "--servers",
        default=",".join(DEFAULT_SERVERS),
        help="comma-separated servers (default: %(default)s)",
    )
    p.add_argument(
        "--scenarios",
        default="all",
        help="comma-separated scenario names, or 'all' (see --list)",
    )
    p.add_argument("--scale", choices=sorted(SCALES), default="full", help="default: full")
    p.add_argument("--quick", action="store_const", const="quick", dest="scale", help="=quick")
    p.add_argument("--smoke", action="store_const", const="smoke", dest="scale", help="=smoke")
    p.add_argument("--reps", type=int, default=None, help="repetitions (default: per scale)")
    p.add_argument("--duration", type=float, default=None, help="measurement window, s")
    p.add_argument("--clients", type=int, default=None, help="clients per fan-out channel")
    p.add_argument("--idle", type=int, default=None, help="idle connections")
    p.add_argument(
        "--window", type=int, default=400, help="fan-out: messages in flight (default 400)"
    )
    p.add_argument("--ws-path", default="/ws", help="socketchat WebSocket path (default /ws)")
    p.add_argument("--out", type=Path, default=None, help="results directory")
    p.add_argument("--no-install", action="store_true", help="do not install missing servers")
    p.add_argument("--no-pin", action="store_true", help="do not pin to cores with taskset")
    p.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    p.add_argument("--list", action="store_true", help="list scenarios and servers, then exit")
    p.add_argument(
        "--rerender",
        type=Path,
        metavar="DIR",
        default=None,
        help="rewrite results.md and results.png of DIR from its results.json",
    )
    return p.parse_args(argv)


def scaled(args: argparse.Namespace) -> Scale:
    s = SCALES[args.scale]
    changes: dict[str, Any] = {}
    if args.reps is not None:
        changes["reps"] = args.reps
    if args.duration is not None:
        changes["duration"] = args.duration
    if args.clients is not None:
        changes["clients"] = args.clients
    if args.idle is not None:
        changes["idle"] = args.idle
    if changes:
        from dataclasses import replace

        s = replace(s, **changes)
    return s


class Display:
    """One updating status line on stderr (a plain line per run when it is not a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.current = ""
        self.progress = loadgen.Progress()
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        eta = ""
        if self.done:
            eta = f" eta {elapsed / self.done * (self.total - self.done):.0f}s"
        p = self.progress
        return (
            f"[{self.done}/{self.total} {elapsed:.0f}s{eta}] {self.current}: {p.phase} {p.detail}"
        )

    def run(self) -> None:
        while not self._stop.wait(0.5):
            if self.tty:
                sys.stderr.write("\r\x1b[K" + self.line()[:160])
                sys.stderr.flush()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()

    def begin(self, what: str) -> None:
        self.current = what
        self.progress.phase, self.progress.detail = "start", ""

    def end(self, outcome: str) -> None:
        self.done += 1
        if self.tty:
            sys.stderr.write("\r\x1b[K")
        sys.stderr.write(f"[{self.done}/{self.total}] {self.current}: {outcome}\n")
        sys.stderr.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self.tty:
            sys.stderr.write("\r\x1b[K")


def probe_websocket(uri: str) -> str | None:
    """None when `uri` accepts a WebSocket with the text.ircv3.net subprotocol."""

    async def go() -> str | None:
        from websockets.asyncio.client import connect

        try:
            async with asyncio.timeout(5):
                async with connect(uri, subprotocols=[loadgen.WS_SUBPROTOCOL]) as ws:
                    if ws.subprotocol != loadgen.WS_SUBPROTOCOL:
                        return f"server did not select {loadgen.WS_SUBPROTOCOL}"
        except Exception as exc:
            return f"{exc.__class__.__name__}: {exc}"
        return None

    result: str | None = asyncio.run(go())
    return result


def run_one(sc: Scenario, server: Server, running: Running, progress: loadgen.Progress) -> Any:
    ws_uri = None
    if running.web_port is not None:
        ws_uri = f"ws://127.0.0.1:{running.web_port}{server.ws_path}"
    target = loadgen.Target(
        "127.0.0.1",
        running.port,
        ws_uri,
        cpu=running.cpu_seconds,
        alive=running.alive,
        ports=running.ports if isinstance(running, ClusterRunning) else (),
        node_cpus=running.node_cpu_seconds,
        redis_cpu=running.redis_cpu_seconds,
    )
    p = dict(sc.params)
    factory: Callable[[], Any]
    if sc.kind == "fanout":
        p["setup_inflight"] = server.setup_inflight
        factory = lambda: loadgen.run_fanout(target, progress, **p)  # noqa: E731
    elif sc.kind == "rate":
        p["setup_inflight"] = server.setup_inflight
        factory = lambda: loadgen.run_rate(target, progress, **p)  # noqa: E731
    elif sc.kind == "connect":
        factory = lambda: loadgen.run_connect(target, progress, **p)  # noqa: E731
    elif sc.kind == "idle":
        p["setup_inflight"] = server.setup_inflight
        factory = lambda: loadgen.run_idle(  # noqa: E731
            target, progress, rss_kib=running.rss_kib, **p
        )
    else:
        raise ValueError(sc.kind)
    return loadgen.run_in_loop(factory)


def machine_meta() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "host": platform.node(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if "--soak" in given:  # the soak-and-attack run: bench/soak.py
        from bench import soak

        given.remove("--soak")
        return soak.main(given)
    args = parse_args(argv)
    if args.rerender is not None:
        return rerender(args.rerender, chart=not args.no_chart)
    scale = scaled(args)
    scenarios = build(scale, window=args.window)
    if args.scenarios != "all":
        wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        unknown = set(wanted) - {s.name for s in scenarios}
        if unknown:
            print(f"unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s.name in wanted]
    catalogue = all_servers(args.ws_path)
    wanted_servers = [ALIASES.get(s.strip(), s.strip()) for s in args.servers.split(",")]
    wanted_servers = [s for s in wanted_servers if s]
    unknown = set(wanted_servers) - set(catalogue)
    if unknown:
        print(f"unknown server(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.list:
        for sc in scenarios:
            print(f"{sc.name:14} {sc.title}")
        print("servers:", ", ".join(n for n, srv in catalogue.items() if srv.name == n))
        return 0

    # Fairness: the server on core 0, this process (the load generator) on core 1.
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    affinity = os.sched_getaffinity(0)
    try:
        return _run(args, scale, scenarios, catalogue, wanted_servers, pin, argv)
    finally:
        os.sched_setaffinity(0, affinity)  # callers (e.g. tests) get their CPUs back


def _run(
    args: argparse.Namespace,
    scale: Scale,
    scenarios: list[Scenario],
    catalogue: dict[str, Server],
    wanted_servers: list[str],
    pin: bool,
    argv: Sequence[str] | None,
) -> int:
    if pin:
        os.sched_setaffinity(0, {GEN_CORE})
        pinning = (
            f"Server pinned to core {SERVER_CORE} and load generator to core {GEN_CORE} "
            "(taskset / sched_setaffinity)."
        )
    else:
        pinning = "No CPU pinning (fewer than 2 cores, taskset missing or --no-pin)."
    nofile = raise_nofile()

    started = time.strftime("%Y-%m-%d %H:%M:%S")
    out = args.out or REPO / "bench" / "results" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="socketchat-bench-"))

    servers: list[Server] = []
    skipped: dict[tuple[str, str], str] = {}
    errors: list[str] = []
    notes: list[str] = [pinning, f"RLIMIT_NOFILE for the generator and servers: {nofile}."]
    for name in wanted_servers:
        srv = catalogue[name]
        if not args.no_install:
            try:
                srv.install()
            except (ServerError, OSError, Exception) as exc:
                errors.append(f"{name}: install failed: {exc}")
        why = srv.missing()
        if why:
            print(f"bench: skipping {name}: {why}", file=sys.stderr)
            for sc in scenarios:
                skipped[(sc.name, name)] = why
            continue
        servers.append(srv)
        notes.extend(f"{srv.label}: {n}" for n in srv.notes)
    versions = {s.label: s.version() for s in servers}

    # Which (scenario, server) pairs can run at all.
    plan: list[tuple[Scenario, int, Server]] = []
    for sc in scenarios:
        for srv in servers:
            if sc.websocket and not srv.websocket:
                skipped[(sc.name, srv.name)] = "no WebSocket listener"
                continue
            if srv.max_clients is not None and sc.clients_needed > srv.max_clients:
                skipped[(sc.name, srv.name)] = (
                    f"needs {sc.clients_needed:,} connections, {srv.label} holds "
                    f"~{srv.max_clients:,}"
                )
                continue
        for rep in range(scale.reps):
            for srv in servers:
                if (sc.name, srv.name) not in skipped:
                    plan.append((sc, rep, srv))

    display = Display(len(plan))
    display.start()
    runs: list[dict[str, Any]] = []
    ws_checked: dict[str, str | None] = {}
    try:
        for sc, rep, srv in plan:
            if (sc.name, srv.name) in skipped:
                display.begin(f"{sc.name} {srv.name} #{rep + 1}")
                display.end("skipped")
                continue
            display.begin(f"{sc.name} {srv.name} #{rep + 1}")
            record: dict[str, Any] = {"scenario": sc.name, "server": srv.name, "rep": rep + 1}
            running: Running | None = None
            try:
                running = srv.start(
                    work / f"{srv.name}-{sc.name}-{rep}", SERVER_CORE if pin else None
                )
                if sc.websocket:
                    if srv.name not in ws_checked:
                        uri = f"ws://127.0.0.1:{running.web_port}{srv.ws_path}"
                        ws_checked[srv.name] = probe_websocket(uri)
                    why = ws_checked[srv.name]
                    if why is not None:
                        skipped[(sc.name, srv.name)] = f"WebSocket endpoint not usable: {why}"
                        display.end("skipped: " + why)
                        continue
                t_run = time.monotonic()
                result = run_one(sc, srv, running, display.progress)
                result.metrics["run_s"] = time.monotonic() - t_run
                record.update(ok=True, metrics=result.metrics, errors=result.errors)
                if not running.alive():
                    record["ok"] = False
                    record["error"] = "server exited during the run"
                m = result.metrics
                headline = m.get(sc.metric, float("nan"))
                display.end(
                    f"{report.fmt(headline)} {sc.unit}, lost {int(m.get('lost', 0))}, "
                    f"server {m.get('server_cpu_pct', float('nan')):.0f}% "
                    f"gen {m.get('gen_cpu_pct', float('nan')):.0f}% CPU"
                    + (f", errors {result.errors}" if result.errors else "")
                )
            except Exception as exc:
                record.update(ok=False, error=f"{exc.__class__.__name__}: {exc}")
                tail = running.log_tail(5) if running else ""
                errors.append(
                    f"{sc.name} / {srv.name} #{rep + 1}: {exc.__class__.__name__}: {exc}"
                    + (f" — server log: {tail[-300:]!r}" if tail else "")
                )
                display.end(f"FAILED: {exc.__class__.__name__}: {exc}")
                if os.environ.get("BENCH_DEBUG"):
                    traceback.print_exc()
            finally:
                if running is not None:
                    running.stop()
            runs.append(record)
    except KeyboardInterrupt:
        errors.append("interrupted: partial results")
    finally:
        display.stop()
        shutil.rmtree(work, ignore_errors=True)

    shown = [(s.name, s.label) for s in servers]
    names = [s.name for s in servers]
    summary = report.summarise(scenarios, names, runs)
    meta = {
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "scale": scale.name,
        "scale_params": scale.__dict__,
        "reps": scale.reps,
        "command": " ".join(shlex.quote(a) for a in ["bench/run.sh", *(argv or sys.argv[1:])]),
        "pinning": pinning,
        "versions": versions,
        **machine_meta(),
    }
    md = report.markdown(meta, scenarios, shown, summary, skipped, errors, notes)
    (out / "results.md").write_text(md)
    report.write_json(
        out / "results.json",
        {
            "meta": meta,
            "scenarios": [sc.__dict__ for sc in scenarios],
            "servers": [{"name": s.name, "label": s.label, "notes": s.notes} for s in servers],
            "summary": summary,
            "skipped": [{"scenario": a, "server": b, "why": w} for (a, b), w in skipped.items()],
            "errors": errors,
            "runs": runs,
        },
    )
    if not args.no_chart:
        try:
            report.chart(
                out / "results.png",
                scenarios,
                shown,
                summary,
                f"socketchat benchmark ({scale.name}, median of {scale.reps}) — {started}",
            )
        except Exception as exc:
            print(f"bench: chart failed: {exc}", file=sys.stderr)
    print(md)
    print(f"\nbench: results in {out}", file=sys.stderr)
    return 0


CUT_OFF = "still in handshake at the end (cancelled)"


def rerender(out: Path, chart: bool = True) -> int:
    """Rebuild the Markdown report and the chart from a results.json."""
    data = json.loads((out / "results.json").read_text())
    scenarios = [Scenario(**sc) for sc in data["scenarios"]]
    servers = [(s["name"], s["label"]) for s in data["servers"]]
    runs = data["runs"]
    for r in runs:  # older files counted handshakes cut off at the end as failed
        m, errs = r.get("metrics") or {}, r.get("errors") or {}
        if "failed" in m and "cut_off" not in m and CUT_OFF in errs:
            m["cut_off"] = float(errs[CUT_OFF])
            m["failed"] = float(m["failed"] - errs[CUT_OFF])
        for k, v in list(m.items()):
            if v is None:
                m[k] = float("nan")
    summary = report.summarise(scenarios, [n for n, _ in servers], runs)
    skipped = {(s["scenario"], s["server"]): s["why"] for s in data["skipped"]}
    notes = [data["meta"]["pinning"]]
    for s in data["servers"]:
        notes.extend(f"{s['label']}: {n}" for n in s["notes"])
    md = report.markdown(data["meta"], scenarios, servers, summary, skipped, data["errors"], notes)
    (out / "results.md").write_text(md)
    data["summary"] = summary
    report.write_json(out / "results.json", data)
    if chart:
        meta = data["meta"]
        report.chart(
            out / "results.png",
            scenarios,
            servers,
            summary,
            f"socketchat benchmark ({meta['scale']}, median of {meta['reps']}) — {meta['started']}",
        )
    print(md)
    return 0
