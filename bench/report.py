"""Turn the runs into medians, a Markdown table, JSON and a PNG chart."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

from bench.scenarios import Scenario

PEERS_EXCLUDE = "socketchat"  # "best peer" means the best server other than socketchat
CLUSTER_PREFIX = "socketchat-redis"  # the cluster targets (socketchat-redis1, -redis3)
CLUSTER_BASELINES = ("socketchat-nohistory", "socketchat")  # what a node is compared with


def is_peer(server: str) -> bool:
    """A server the ratios compare socketchat with: not socketchat in any of its forms."""
    return not server.startswith(PEERS_EXCLUDE)


def median_metrics(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median of every metric over the successful repetitions."""
    ok = [r["metrics"] for r in runs if r.get("ok")]
    keys = sorted({k for m in ok for k in m})
    out: dict[str, float] = {}
    for k in keys:
        values = [m[k] for m in ok if k in m and not math.isnan(m[k])]
        if values:
            out[k] = float(statistics.median(values))
    if ok:
        # correctness is summed, never medianed: one lost message anywhere counts
        for k in ("lost", "disconnects", "failed"):
            out[k + "_total"] = float(sum(m.get(k, 0.0) for m in ok))
        out["reps_ok"] = float(len(ok))
    return out


def summarise(
    scenarios: list[Scenario], servers: list[str], runs: list[dict[str, Any]]
) -> dict[str, dict[str, dict[str, float]]]:
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for sc in scenarios:
        summary[sc.name] = {}
        for srv in servers:
            mine = [r for r in runs if r["scenario"] == sc.name and r["server"] == srv]
            if mine:
                summary[sc.name][srv] = median_metrics(mine)
    return summary


def best_peer(
    sc: Scenario,
    summary: dict[str, dict[str, dict[str, float]]],
    scenarios: dict[str, Scenario],
) -> tuple[str, float] | None:
    """The best server other than socketchat for this scenario's headline metric."""
    ref = scenarios.get(sc.compare_with, sc) if sc.compare_with else sc
    cands = [
        (srv, m[ref.metric])
        for srv, m in summary.get(ref.name, {}).items()
        if is_peer(srv) and ref.metric in m
    ]
    if not cands:
        return None
    pick = max if ref.higher_better else min
    return pick(cands, key=lambda t: t[1])


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or math.isnan(value):
        return "–"
    a = abs(value)
    if a >= 1e6:
        s = f"{value / 1e6:.2f} M"
    elif a >= 1e4:
        s = f"{value / 1e3:.1f} k"
    elif a >= 100:
        s = f"{value:.0f}"
    elif a >= 10:
        s = f"{value:.1f}"
    else:
        s = f"{value:.2f}"
    return s + unit


def meets_target(sc: Scenario, value: float, best: float | None) -> bool | None:
    if sc.kind == "idle":
        return value <= 8.0
    if best is None or best == 0:
        return None
    return value >= best if sc.higher_better else value <= best


def section(lines: list[str], title: str, items: list[str]) -> None:
    """A Markdown section of one bullet an item; none at all without items."""
    if items:
        lines.extend([f"## {title}", "", *(f"- {item}" for item in items), ""])


def markdown(
    meta: dict[str, Any],
    scenarios: list[Scenario],
    servers: list[tuple[str, str]],  # (name, label)
    summary: dict[str, dict[str, dict[str, float]]],
    skipped: dict[tuple[str, str], str],
    errors: list[str],
    notes: list[str],
) -> str:
    by_name = {sc.name: sc for sc in scenarios}
    names = [n for n, _ in servers]
    lines: list[str] = []
    lines.append(f"# socketchat benchmark — {meta['started']}")
    lines.append("")
    lines.append(
        f"Scale **{meta['scale']}**, {meta['reps']} repetitions per server and scenario, "
        f"servers run in alternation (A B C D A B C D …); every cell is the **median**. "
        f"Command: `{meta['command']}`."
    )
    lines.append("")
    lines.append(
        f"Machine: {meta['cpu']} — {meta['cores']} cores, Linux {meta['kernel']}, "
        f"Python {meta['python']}. {meta['pinning']}"
    )
    lines.append("")
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".")
    lines.append("")
    lines.append("## Results")
    lines.append("")
    lines.append(
        "Cells: median (ratio to the best peer, i.e. the best server other than socketchat; "
        "for “lower is better” metrics a ratio below 1 is better). ✓/✗: socketchat's target."
    )
    lines.append("")
    header = ["scenario", "metric", *[label for _, label in servers], "target"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    warned = False
    for sc in scenarios:
        row = [sc.name, sc.unit + (" ↑" if sc.higher_better else " ↓")]
        bp = best_peer(sc, summary, by_name)
        for srv in names:
            m = summary.get(sc.name, {}).get(srv)
            if (sc.name, srv) in skipped:
                row.append("skipped")
            elif not m or sc.metric not in m:
                row.append("failed" if m is not None or (sc.name, srv) not in skipped else "–")
            else:
                v = m[sc.metric]
                cell = fmt(v)
                if bp is not None and bp[1]:
                    cell += f" ({v / bp[1]:.2f}×)"
                if m.get("lost_total", 0) or m.get("failed_total", 0):
                    cell += " ⚠"
                    warned = True
                row.append(cell)
        target = sc.target
        sm = summary.get(sc.name, {}).get(PEERS_EXCLUDE)
        if sm and sc.metric in sm:
            ok = meets_target(sc, sm[sc.metric], bp[1] if bp else None)
            if ok is not None and sc.compare_with is None:
                target += " ✓" if ok and not sm.get("lost_total", 0) else " ✗"
        row.append(target)
        lines.append("| " + " | ".join(row) + " |")
    if warned:
        lines.append("")
        lines.append("⚠: messages lost or handshakes failed in a repetition (see below).")
    lines.append("")

    lines.append("## Latency, CPU and correctness")
    lines.append("")
    lines.append(
        "Per cell: latency p50 / p99 in ms (handshake latency for connect) · server CPU % / "
        "generator CPU % during the measurement window (100 % = one core) · lost messages "
        "summed over all repetitions (must be 0; for connect: failed handshakes; for idle: "
        "connections that did not register)."
    )
    lines.append("")
    header = ["scenario", *[label for _, label in servers]]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for sc in scenarios:
        row = [sc.name]
        for srv in names:
            m = summary.get(sc.name, {}).get(srv)
            if not m:
                row.append("–")
                continue
            if sc.kind == "connect":
                lat = f"{fmt(m.get('handshake_p50_ms'))} / {fmt(m.get('handshake_p99_ms'))} ms"
                lost = m.get("failed_total", 0.0)
            elif sc.kind == "idle":
                lat = (
                    f"RSS {fmt(m.get('rss_before_kib', float('nan')) / 1024)}→"
                    f"{fmt(m.get('rss_after_kib', float('nan')) / 1024)} MiB"
                )
                lost = m.get("lost_total", 0.0)
            else:
                lat = f"{fmt(m.get('lat_p50_ms'))} / {fmt(m.get('lat_p99_ms'))} ms"
                lost = m.get("lost_total", 0.0)
            cpu = f"{m.get('server_cpu_pct', float('nan')):.0f}% / "
            cpu += f"{m.get('gen_cpu_pct', float('nan')):.0f}%"
            row.append(f"{lat} · {cpu} · lost {int(lost)}")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    cluster_section(lines, scenarios, names, summary)
    section(lines, "Scenarios", [f"**{sc.name}** — {sc.title}." for sc in scenarios])
    section(
        lines, "Skipped", [f"{scn} / {srv}: {why}" for (scn, srv), why in sorted(skipped.items())]
    )
    section(lines, "Errors", errors)
    section(lines, "Server configuration and notes", notes)
    return "\n".join(lines)


def _per_delivery(m: dict[str, float]) -> str:
    """Server CPU (and Redis') per delivery: the price of the layer when the server is not
    saturated (on a shared machine it seldom is, and deliveries/s then hides it)."""
    rate = m.get("deliveries_per_s", 0.0)
    if not rate:
        return ""
    cpu = m.get("server_cpu_pct", float("nan")) + m.get("redis_cpu_pct", 0.0)
    return f" · {cpu / 100 / rate * 1e6:.2f} µs CPU/delivery"


def cluster_section(
    lines: list[str],
    scenarios: list[Scenario],
    names: list[str],
    summary: dict[str, dict[str, dict[str, float]]],
) -> None:
    """The cluster targets against the single server (docs/cluster.md): the price of the
    layer (one node with Redis against the same server without), and the three nodes' total
    and per-node deliveries with each node's CPU and Redis' CPU."""
    nodes = [n for n in names if n.startswith(CLUSTER_PREFIX)]
    if not nodes:
        return
    bases = [b for b in CLUSTER_BASELINES if b in names]
    lines.append("## Cluster")
    lines.append("")
    lines.append(
        "Per cell: deliveries/s (or the headline metric) and its ratio to "
        + " / ".join(f"`{b}`" for b in bases)
        + " · server CPU % (summed over the nodes) · Redis CPU % · CPU (server + Redis) per"
        " delivery; per node: deliveries/s to the clients of that node (CPU %). 100 % = one"
        " core."
    )
    lines.append("")
    header = ["scenario", "metric", *bases, *nodes, "per node"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for sc in scenarios:
        if sc.kind not in ("fanout", "rate", "connect"):
            continue
        row = [sc.name, sc.unit + (" ↑" if sc.higher_better else " ↓")]
        cells = summary.get(sc.name, {})
        for b in bases:
            m = cells.get(b, {})
            row.append(
                f"{fmt(m.get(sc.metric))} · {m.get('server_cpu_pct', float('nan')):.0f}%"
                + _per_delivery(m)
                if m
                else "–"
            )
        per_node: list[str] = []
        for n in nodes:
            m = cells.get(n, {})
            if not m or sc.metric not in m:
                row.append("–")
                continue
            v = m[sc.metric]
            ratios = [
                f"{v / cells[b][sc.metric]:.2f}×" for b in bases if cells.get(b, {}).get(sc.metric)
            ]
            cell = fmt(v) + (f" ({' / '.join(ratios)})" if ratios else "")
            cell += f" · {m.get('server_cpu_pct', float('nan')):.0f}%"
            cell += f" · Redis {m.get('redis_cpu_pct', float('nan')):.0f}%"
            cell += _per_delivery(m)
            if m.get("lost_total", 0):
                cell += " ⚠"
            row.append(cell)
            i, parts = 0, []
            while f"node{i}_deliveries_per_s" in m or f"node{i}_cpu_pct" in m:
                parts.append(
                    f"{fmt(m.get(f'node{i}_deliveries_per_s'))}"
                    f" ({m.get(f'node{i}_cpu_pct', float('nan')):.0f}%)"
                )
                i += 1
            if parts:
                per_node.append(f"{n}: " + ", ".join(parts))
        row.append("; ".join(per_node) or "–")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    def clean(o: Any) -> Any:
        if isinstance(o, float) and (math.isnan(o) or math.isinf(o)):
            return None
        if isinstance(o, dict):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        return o

    path.write_text(json.dumps(clean(payload), indent=2, ensure_ascii=False) + "\n")


def chart(
    path: Path,
    scenarios: list[Scenario],
    servers: list[tuple[str, str]],
    summary: dict[str, dict[str, dict[str, float]]],
    title: str,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [sc for sc in scenarios if summary.get(sc.name)]
    if not shown:
        return
    cols = 3
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows), squeeze=False)
    palette = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    colors = {name: palette[i % len(palette)] for i, (name, _) in enumerate(servers)}
    for ax, sc in zip(axes.flat, shown, strict=False):
        labels, values, cols_ = [], [], []
        for name, label in servers:
            m = summary[sc.name].get(name)
            if m and sc.metric in m:
                labels.append(label)
                values.append(m[sc.metric])
                cols_.append(colors[name])
        bars = ax.bar(labels, values, color=cols_)
        for bar, v in zip(bars, values, strict=True):
            ax.annotate(
                fmt(v),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        arrow = "higher is better" if sc.higher_better else "lower is better"
        ax.set_title(f"{sc.name}\n{sc.unit} ({arrow})", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.margins(y=0.15)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
