"""The model card of a shipped bundle: corpus, licences, training facts and limitations.

``python -m exporters.model_card --corpus DIR --denoiser-run DIR [--vocoder-run DIR] --out card.json``
writes the JSON that ``sfxgen export --data-card`` stores in bundle.json, plus a Markdown rendering.
``--base-bundle BUNDLE --vocoder-run DIR`` instead keeps a shipped bundle's corpus and denoiser sections
(whose run folders may be long gone) and describes a new vocoder run.
It is built from files the pipeline wrote (the corpus ``report.json`` and ``manifest.jsonl``, each
run's ``log.csv``, ``config.json`` and the run's own data card from :mod:`exporters.train.datacard`);
only the ``limitations`` list, which states what the model cannot do, is written by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LIMITATIONS = (
    "Trained on ~1.5 hours of game and soundfont audio from Debian packages (142 categories), not on a "
    "general sound library: prompts outside those categories give the nearest category it knows, or texture.",
    "Text-conditioned on MiniLM sentence embeddings of category captions (the CLIP-TTA / CLIPSynth-Text "
    "baseline recipe), not CLIPSonic's CLIP image embeddings: no CLIP weights exist on the build machines. "
    "Image queries need a CLIP bundle trained with `sfxgen train` on videos.",
    "Small model (7.3M-parameter 1-D UNet, trained mostly on a 2-core CPU, the last steps on one GPU: see the "
    "steps above): expect recognisable character and envelope, with less detail and more noise than real "
    "recordings; 24 kHz internally (content up to 12 kHz), delivered at 48 kHz.",
    "Speech, music phrases and UI voices were excluded from the corpus on purpose; it cannot speak or sing.",
)

NO_VOCODER = (
    "No neural vocoder: neither the CPU-trained Vocos-style vocoder (no adversarial losses), a magnitude "
    "post-net, nor a Vocos GAN given ten minutes of one GPU beat Griffin-Lim on held-out audio, so waveforms "
    "come from Griffin-Lim (32 iterations from a PGHI phase), with its phasey, smeared transients."
)
MAGNITUDE_VOCODER = (
    "The vocoder is a neural mel-to-magnitude post-net trained through the runtime's Griffin-Lim: the phase "
    "is still Griffin-Lim's (32 iterations from a PGHI phase{training}), so transients stay somewhat phasey and "
    "smeared; it is not a waveform GAN vocoder (a Vocos GAN given ten minutes of one GPU lost to Griffin-Lim by far)."
)


def _magnitude_vocoder(vocoder: dict[str, Any]) -> str:
    pghi = vocoder.get("gl_phase_init") == "pghi"
    return MAGNITUDE_VOCODER.format(
        training=", as in its training" if pghi else " at run time, a random one in training"
    )


CPU_VM = "CPU only (2-core shared VM)"


def _last_row(run_dir: Path) -> dict[str, str]:
    rows = list(csv.DictReader((run_dir / "log.csv").open()))
    if not rows:
        raise ValueError(f"{run_dir}/log.csv has no rows")
    return rows[-1]


def _run_facts(run_dir: Path) -> dict[str, Any]:
    last = _last_row(run_dir)
    cfg = json.loads((run_dir / "config.json").read_text())
    facts = {
        "model": cfg["model"],
        "steps": int(last["step"]),
        "final_loss": float(last["loss"]),
        "batch_size": cfg.get("loop", {}).get("batch_size"),
    }
    if cfg.get("task") == "vocoder" and "magnitude_target" in cfg.get("vocoder", {}):
        facts["magnitude_target"] = cfg["vocoder"]["magnitude_target"]
        facts["gl_phase_init"] = cfg["vocoder"].get("gl_phase_init", "random")  # runs before the option: random
    return facts


def _vocoder_section(vocoder_run: Path | None, history: str, hardware: str) -> dict[str, Any] | str:
    if vocoder_run is None:
        return "griffin_lim"
    return {**_run_facts(vocoder_run), "history": history, "hardware": hardware}


def _limitations(vocoder: dict[str, Any] | str) -> list[str]:
    return [*LIMITATIONS[:3], NO_VOCODER if vocoder == "griffin_lim" else _magnitude_vocoder(vocoder), *LIMITATIONS[3:]]


def build_card(
    corpus: Path,
    denoiser_run: Path,
    vocoder_run: Path | None = None,
    history: str = "",
    hardware: str = CPU_VM,
    vocoder_hardware: str = CPU_VM,
    vocoder_history: str = "",
) -> dict[str, Any]:
    """Collect sources, licences, categories and training facts into one JSON-ready dict.

    ``history`` / ``vocoder_history`` describe earlier runs the denoiser / vocoder was warm-started from
    (their logs are not read); ``hardware`` what the last denoiser run trained on, ``vocoder_hardware``
    the vocoder run.
    """
    report = json.loads((corpus / "report.json").read_text())
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines() if line.strip()]
    train = [r for r in rows if r["split"] == "train"]
    run_card = denoiser_run / "data_card.json"
    return {
        "name": "sfxgen default model",
        "corpus": {
            "built_by": "sfxgen corpus build (exporters/corpus), rules in exporters/corpus/rules.toml",
            "sources": sorted(report["per_package"]),
            "clips": report["clips"],
            "minutes": report["minutes"],
            "per_split": report["per_split"],
            "train_minutes": round(sum(r["duration_s"] for r in train) / 60, 1),
            "categories": sorted(report["per_category"]),
            "licences": report["licences"],
            "licence_per_package": {
                f"{pkg}: {lic}": n
                for (pkg, lic), n in Counter((r["source_package"], r["licence"]) for r in rows).most_common()
            },
        },
        "denoiser": {
            "recipe": "text-conditioned mel diffusion (CLIP-TTA / CLIPSynth-Text baseline) with MiniLM captions",
            **_run_facts(denoiser_run),
            "history": history,
            "hardware": hardware,
            "training_data": json.loads(run_card.read_text()) if run_card.is_file() else None,
        },
        "vocoder": (vocoder := _vocoder_section(vocoder_run, vocoder_history, vocoder_hardware)),
        "limitations": _limitations(vocoder),
    }


def card_with_vocoder(
    base: dict[str, Any], vocoder_run: Path, vocoder_history: str = "", vocoder_hardware: str = CPU_VM
) -> dict[str, Any]:
    """A shipped card (``bundle.json``'s ``data_card``) with a new vocoder run; corpus and denoiser kept."""
    if not {"corpus", "denoiser"} <= set(base):
        raise ValueError("the base card has no corpus or denoiser section (was it written by exporters.model_card?)")
    vocoder = _vocoder_section(vocoder_run, vocoder_history, vocoder_hardware)
    return {**base, "vocoder": vocoder, "limitations": _limitations(vocoder)}


def card_with_denoiser(
    base: dict[str, Any], denoiser_run: Path, history: str = "", hardware: str = CPU_VM
) -> dict[str, Any]:
    """A shipped card with a new denoiser run that continued the shipped denoiser; corpus and vocoder kept.

    The shipped denoiser's own facts and history follow the new ``history``, so the card still tells the
    whole way from the first run.
    """
    if not {"corpus", "denoiser"} <= set(base):
        raise ValueError("the base card has no corpus or denoiser section (was it written by exporters.model_card?)")
    old = base["denoiser"]
    before = (
        f"Before that: {old['steps']} steps (final batch size {old['batch_size']}, final loss {old['final_loss']:.3f}) "
        f"on {old['hardware']}. {old.get('history', '')}"
    ).strip()
    run_card = denoiser_run / "data_card.json"
    denoiser = {
        **old,
        **_run_facts(denoiser_run),
        "history": f"{history} {before}".strip(),
        "hardware": hardware,
        "training_data": json.loads(run_card.read_text()) if run_card.is_file() else old.get("training_data"),
    }
    return {**base, "denoiser": denoiser}


def to_markdown(card: dict[str, Any]) -> str:
    c, d, v = card["corpus"], card["denoiser"], card["vocoder"]
    lines = [
        f"# {card['name']}: data card",
        "",
        f"Corpus: {c['clips']} clips, {c['minutes']:.1f} min ({c['train_minutes']} min train), "
        f"{len(c['categories'])} categories, splits {c['per_split']}. Built by {c['built_by']}.",
        "",
        "Sources (Debian packages): " + ", ".join(c["sources"]),
        "",
        "Licences (clips per package and licence; the generated audio is a model output, the bundle itself is "
        "distributed under the most restrictive share-alike terms of its training data, CC-BY-SA-3.0 / GPL-2+):",
        *[f"- {k}: {n}" for k, n in c["licence_per_package"].items()],
        "",
        f"Denoiser: {d['model']['type']} {d['model']['config']}, {d['steps']} steps (final batch size "
        f"{d['batch_size']}), final loss {d['final_loss']:.3f}, trained on {d['hardware']}. {d['history']}",
        "Vocoder: Griffin-Lim (numpy, 32 iterations)."
        if v == "griffin_lim"
        else f"Vocoder: {v['model']['type']} {v['model']['config']}, {v['steps']} steps (batch size "
        f"{v['batch_size']}, final loss {v['final_loss']:.3f}"
        + (", trained through Griffin-Lim" if v.get("magnitude_target") == "griffin_lim" else "")
        + (" from a PGHI start" if v.get("gl_phase_init") == "pghi" else "")
        + f"), on the corpus' training split, trained on {v['hardware']}."
        + (f" {v['history']}" if v.get("history") else ""),
        "",
        "Categories: " + ", ".join(c["categories"]),
        "",
        "What it cannot do:",
        *[f"- {x}" for x in card["limitations"]],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="the corpus the denoiser trained on")
    parser.add_argument("--denoiser-run", type=Path)
    parser.add_argument(
        "--base-bundle",
        type=Path,
        help="instead of --corpus: keep this bundle's card (or a card JSON), replacing what --denoiser-run / "
        "--vocoder-run continued",
    )
    parser.add_argument("--vocoder-run", type=Path, default=None, help="omit when the bundle uses Griffin-Lim")
    parser.add_argument("--history", default="", help="earlier runs the denoiser was warm-started from, in words")
    parser.add_argument("--vocoder-history", default="", help="the same for the vocoder run")
    parser.add_argument("--hardware", default=CPU_VM, help=f"what the denoiser run trained on (default: {CPU_VM})")
    parser.add_argument("--vocoder-hardware", default=CPU_VM, help=f"what the vocoder run trained on ({CPU_VM})")
    parser.add_argument("--out", type=Path, required=True, help="card JSON; a .md beside it is written too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.base_bundle is not None:
        if args.corpus or (args.denoiser_run is None and args.vocoder_run is None):
            parser.error("--base-bundle takes a --denoiser-run and/or a --vocoder-run, and no --corpus")
        from sfxgen.bundle import load_bundle

        if args.base_bundle.is_file():  # a card JSON written by this tool
            card = json.loads(args.base_bundle.read_text())
        else:
            card = load_bundle(args.base_bundle).data_card
        if args.denoiser_run is not None:
            card = card_with_denoiser(card, args.denoiser_run, args.history, args.hardware)
        if args.vocoder_run is not None:
            card = card_with_vocoder(card, args.vocoder_run, args.vocoder_history, args.vocoder_hardware)
    elif args.corpus is None or args.denoiser_run is None:
        parser.error("give --corpus and --denoiser-run (or --base-bundle)")
    else:
        card = build_card(
            args.corpus,
            args.denoiser_run,
            args.vocoder_run,
            args.history,
            args.hardware,
            args.vocoder_hardware,
            args.vocoder_history,
        )
    args.out.write_text(json.dumps(card, indent=2))
    args.out.with_suffix(".md").write_text(to_markdown(card))
    log.info("wrote %s and %s", args.out, args.out.with_suffix(".md"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
