from pathlib import Path

from exporters.bench_torch import compare
from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.export import export_bundle
from tests.exporters.tiny_components import DENOISER, DIFFUSION, MEL, perturb, tiny, tiny_query_exporter


def test_compare_times_the_same_weights_and_splits_convolutions(tmp_path: Path) -> None:
    model = perturb(tiny("denoiser_1d", DENOISER))
    ck = make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION, ema={"denoiser": model})
    export_bundle(save_checkpoint(tmp_path / "m.pt", ck), tmp_path / "b", query_exporter=tiny_query_exporter)
    r = compare(tmp_path / "b", variations=2, duration=0.5, repeats=2)
    assert r["status"] == "ok" and r["shape"].startswith("(4, 16,")
    assert r["max_abs_diff"] < 1e-4 < r["output_abs_mean"]  # same weights, non-trivial output
    assert 0 < r["conv_s"]["onnxruntime"] < r["onnxruntime_s"]
    assert 0 < r["conv_s"]["torch_eager"] < r["torch_eager_s"]
    assert abs(r["conv_speedup"] - r["conv_s"]["torch_eager"] / r["conv_s"]["onnxruntime"]) < 1e-9
    assert r["speedup"] == r["torch_eager_s"] / r["onnxruntime_s"]
