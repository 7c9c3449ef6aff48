"""`sfxgen eval`'s report: the Markdown tables and the relevance / FD against guidance plot of a results dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(results: dict[str, Any], path: Path) -> None:
    """Relevance and Fréchet distance against guidance w (CLIPSonic Fig. 3 style)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ws = [s["guidance"] for s in results["sweep"]]
    fig, ax1 = plt.subplots(figsize=(6.4, 4.6), dpi=120)
    ax1.plot(ws, [s["top1"] for s in results["sweep"]], "o-", color="tab:blue", label="generated top-1")
    ax1.axhline(results["real"]["top1"], color="tab:blue", ls="--", lw=1, label="real test audio top-1")
    ax1.axhline(results["retrieval"]["top1"], color="tab:green", ls=":", lw=1, label="retrieval baseline top-1")
    if "from_noise" in results:
        n = results["from_noise"]
        ax1.plot([n["guidance"]], [n["top1"]], "o", mfc="none", color="tab:blue", label="from pure noise top-1")
    if results.get("held_out_judges"):  # the same clips by judges that never heard a clip's recording
        held = [s["top1_held_out"] for s in results["sweep"]]
        label = "generated top-1, judges that never heard the recording"
        ax1.plot(ws, held, "^-", color="tab:purple", lw=1, label=label)
        real = results["real"]["top1_held_out"]
        ax1.axhline(real, color="tab:purple", ls="--", lw=1, label="real test audio top-1, those judges")
    ax1.set_xlabel("guidance w")
    ax1.set_ylabel("relevance (classifier top-1)", color="tab:blue")
    ax1.set_ylim(0, 1)
    ax2 = ax1.twinx()
    ax2.plot(ws, [s["fd"] for s in results["sweep"]], "s-", color="tab:red", label="generated FD")
    ax2.axhline(results["fd_real_vs_real"], color="tab:red", ls="--", lw=1, label="real-vs-real FD")
    if "from_noise" in results:
        n = results["from_noise"]
        ax2.plot([n["guidance"]], [n["fd"]], "s", mfc="none", color="tab:red", label="from pure noise FD")
    ax2.set_ylabel("Fréchet distance to real test audio", color="tab:red")
    ax1.axvline(results["chosen_guidance"], color="gray", lw=0.8)
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, fontsize=6.5, loc="lower center", ncol=2, frameon=False)
    ax1.set_title(
        f"{results['bundle']}: relevance and FD vs guidance (chosen w = {results['chosen_guidance']:g})", fontsize=8
    )
    fig.tight_layout(rect=(0, 0.2, 1, 1))  # the legend below the axes
    fig.savefig(path)
    plt.close(fig)


def _opinion(o: dict[str, Any]) -> str:
    if o["top1"] is None:
        return "-"
    noise = f" ({o['top1_from_noise']:.2f})" if o.get("top1_from_noise") is not None else ""
    return f"{o['top1']:.2f}{noise}"


def _held_out(row: dict[str, Any]) -> str:
    """The held-out judges' top-1 cell ("-" when they did not judge)."""
    return "-" if row.get("top1_held_out") is None else f"{row['top1_held_out']:.3f}"


def _share(x: float | None) -> str:
    """A share with two decimals ("-" when there is none)."""
    return "-" if x is None else f"{x:.2f}"


def format_table(results: dict[str, Any]) -> str:
    """Plain-text (markdown) table of the results."""
    held = bool(results.get("held_out_judges"))
    head = " top-1, judges that never heard the recording |" if held else ""

    def line(audio: str, row: dict[str, Any], fd: str) -> str:
        return f"| {audio} | {row['top1']:.3f} | {row['top5']:.3f} | {fd} |" + (f" {_held_out(row)} |" if held else "")

    lines = [
        f"bundle {results['bundle']} · {results['test_categories']} test categories · "
        f"{results['test_clips']} real test clips",
        "",
        "| audio | top-1 | top-5 | Fréchet distance to real test |" + head,
        "|---|---|---|---|" + ("---|" if held else ""),
        line("real test clips", results["real"], f"{results['fd_real_vs_real']:.2f} (real train vs test)"),
    ]
    start = f", library-seeded at strength {results['strength']:g}" if results.get("strength", 1.0) < 1.0 else ""
    for s in results["sweep"]:
        mark = " (default)" if s["guidance"] == results["chosen_guidance"] else ""
        lines.append(line(f"generated{start}, w = {s['guidance']:g}{mark}", s, f"{s['fd']:.2f}"))
    for s in results.get("strength_sweep", []):
        lines.append(
            line(f"generated, library-seeded at strength {s['strength']:g}, w = {s['guidance']:g}", s, f"{s['fd']:.2f}")
        )
    if "from_noise" in results:
        s = results["from_noise"]
        lines.append(line(f"generated from pure noise (the model alone), w = {s['guidance']:g}", s, f"{s['fd']:.2f}"))
    r = results["retrieval"]
    lines.append(line("retrieval baseline (nearest training clip by text)", r, f"{r['fd']:.2f}"))
    lines.append(f"| pink noise | - | - | {results['fd_noise_vs_real']:.2f} |" + (" - |" if held else ""))
    v = results["vocoder"]
    lines += [
        "",
        f"| vocoder, {int(v['clips'])} held-out clips resynthesised from their mels | log-mel L1 | "
        "multi-res spectral convergence | classifier top-1 | FD to real |",
        "|---|---|---|---|---|",
    ]
    rows = [
        ("gl", "Griffin-Lim on the mel pseudo-inverse (32 it., random start)"),
        ("gl_pghi", "the same Griffin-Lim from a PGHI start"),  # results of older evals lack this row
        ("neural", str(v["neural"])),
    ]
    for key, label in rows:
        if f"{key}_logmel_l1" in v:
            lines.append(
                f"| {label} | {v[f'{key}_logmel_l1']:.3f} | {v[f'{key}_sc']:.3f} | {v[f'{key}_top1']:.3f} "
                f"| {v[f'{key}_fd']:.2f} |"
            )
    shows = results.get("showcase", [])
    if shows:
        lines += [
            "",
            f"| README prompt ({shows[0]['clips']} clips, w = {shows[0]['guidance']:g}, {shows[0]['duration']:g} s) "
            "| category | top-1 | top-3 | heard as (top-1 counts) | held-out real clips: top-1 |",
            "|---|---|---|---|---|---|",
        ]
        for s in shows:
            heard = ", ".join(f"{c} {n}" for c, n in s["heard_as"])
            real = f"{s['real_top1']:.2f} of {s['real_clips']}" if s.get("real_top1") is not None else "none held out"
            lines.append(f"| {s['prompt']} | {s['category']} | {s['top1']:.2f} | {s['top3']:.2f} | {heard} | {real} |")
        if shows[0].get("second_opinions"):
            judges = [Path(o["judge"]).parent.name or o["judge"] for o in shows[0]["second_opinions"]]
            lines += [
                "",
                "| README prompt: top-1 under other judges, " + " / ".join(judges) + " (from pure noise) |",
                "|---|",
            ]
            for s in shows:
                cells = [_opinion(o) for o in s["second_opinions"]]
                lines.append(f"| {s['prompt']}: " + " / ".join(cells) + " |")
        seeded = [s for s in shows if "top1_from_noise" in s]
        if seeded:
            lines += [
                "",
                f"| README prompt, library-seeded at strength {seeded[0]['strength']:g} | top-1 "
                "| top-1 from pure noise | recordings of the category | clip to its recording (dB) "
                "| between the recordings (dB) | the recordings themselves: top-1 |"
                + (
                    " top-1, judges that never heard the recording: clips / from noise / the recordings |"
                    if held
                    else ""
                ),
                "|---|---|---|---|---|---|---|" + ("---|" if held else ""),
            ]
            for s in seeded:
                own = sum(n for c, n in s["source_categories"] if c == s["category"])
                between = "-" if s["between_sources_db"] is None else f"{s['between_sources_db']:.1f}"
                lines.append(
                    f"| {s['prompt']} | {s['top1']:.2f} | {s['top1_from_noise']:.2f} | {own} of {s['clips']} "
                    f"| {s['to_source_db']:.1f} | {between} | {_share(s.get('source_top1'))} |"
                    + (
                        f" {_share(s.get('top1_held_out'))} of {s['held_out_judgements']}"
                        f" / {_share(s.get('top1_from_noise_held_out'))} / {_share(s.get('source_top1_held_out'))} |"
                        if held and "held_out_judgements" in s
                        else ""
                    )
                )
    lines.append("")
    lines.append(f"chosen default guidance w = {results['chosen_guidance']:g}; eval took {results['seconds']:.0f} s")
    return "\n".join(lines)
