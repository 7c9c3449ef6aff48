"""Pipeline on the tiny bundle: lengths, padding, CFG in the graph, seeds, queries, vocoders, regeneration."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from sfxgen import samplers
from sfxgen.bundle import GraphRole, load_bundle, sha256_file
from sfxgen.errors import RequestError
from sfxgen.finishing import BitDepth, FinishSpec
from sfxgen.pghi import PhaseInit
from sfxgen.pipeline import Pipeline, frames_for, plan_request
from sfxgen.query import l2_normalize
from sfxgen.regenerate import regenerate
from sfxgen.request import GenerateRequest, QueryMode
from sfxgen.schedule import spaced_timesteps
from sfxgen.sessions import CPU
from sfxgen.wavfile import read_wav_metadata
from tests.helpers.tiny_bundle import FRAMES_MULTIPLE, TINY_MEL, add_tiny_library, make_tiny_bundle, make_tiny_corpus

PROMPT = "heavy wooden door slams shut"


@pytest.fixture(scope="module")
def pipe(tiny_bundle):
    return Pipeline(load_bundle(tiny_bundle), [CPU], num_threads=1)


@pytest.fixture(scope="module")
def pipe_full(tiny_bundle_full):
    return Pipeline(load_bundle(tiny_bundle_full), [CPU], num_threads=1)


def _req(tmp_path, **kw):
    base = {"prompt": PROMPT, "seed": 11, "variations": 2, "duration": 0.5, "out_dir": tmp_path}
    return GenerateRequest(**{**base, **kw})


@pytest.mark.parametrize("duration", [0.25, 0.7, 1.013, 10.0])
def test_durations_pad_frames_and_crop_exactly(pipe, tmp_path, duration):
    plan = plan_request(_req(tmp_path, duration=duration, variations=1), pipe.bundle)
    assert plan.num_frames % FRAMES_MULTIPLE == 0
    assert (plan.num_frames - 1) * pipe.bundle.mel.hop_length >= plan.num_samples
    res = pipe.generate(plan)
    assert res.audio[0].frames == round(duration * 48000)
    data, sr = sf.read(res.files[0])
    assert sr == 48000 and len(data) == round(duration * 48000)


def test_frames_multiple_from_graph_config(tiny_bundle):
    b = load_bundle(tiny_bundle)
    assert frames_for(16000, b) % FRAMES_MULTIPLE == 0
    assert frames_for(16000, b) >= 1 + 16000 // b.mel.hop_length


def test_files_named_by_seed_with_recipe(pipe, tmp_path):
    res = pipe.generate(_req(tmp_path, variations=3, seed=100))
    assert res.seeds == (100, 101, 102)
    assert [p.name for p in res.files] == [f"heavy_wooden_door_slams_shut_s{s}.wav" for s in (100, 101, 102)]
    meta = read_wav_metadata(res.files[1])
    assert meta.recipe == res.recipes[1]
    assert meta.recipe.seed == 101 and meta.recipe.batch_seeds == (100, 101, 102)
    assert meta.recipe.bundle_sha256 == pipe.bundle.manifest_sha256
    assert meta.recipe.steps == pipe.bundle.defaults.steps and meta.recipe.sampler == "dpmpp_2m"


def test_seed_determines_audio_and_seeds_differ(pipe, tmp_path):
    a = pipe.generate(_req(tmp_path / "a"))
    b = pipe.generate(_req(tmp_path / "b"))
    for x, y in zip(a.audio, b.audio, strict=True):
        np.testing.assert_array_equal(x.samples, y.samples)
    assert not np.allclose(a.audio[0].samples, a.audio[1].samples)
    c = pipe.generate(_req(tmp_path / "c", seed=12))
    assert not np.allclose(a.audio[0].samples, c.audio[0].samples)


def test_random_seed_is_recorded(pipe, tmp_path):
    res = pipe.generate(_req(tmp_path, seed=None, variations=1))
    again = pipe.generate(_req(tmp_path / "again", seed=res.seeds[0], variations=1))
    np.testing.assert_array_equal(res.audio[0].samples, again.audio[0].samples)


def test_regenerate_replays_the_batch_bit_identically(pipe, tmp_path):
    res = pipe.generate(_req(tmp_path / "orig", variations=3, finish=FinishSpec(bit_depth=BitDepth.FLOAT32)))
    recipe = read_wav_metadata(res.files[2]).recipe
    req = _req(
        tmp_path / "re",
        seed=recipe.batch_seeds[0],
        variations=len(recipe.batch_seeds),
        finish=FinishSpec.from_dict(recipe.finish),
    )
    plan = plan_request(req, pipe.bundle, seeds=recipe.batch_seeds)
    again = pipe.generate(plan, keep=[recipe.batch_seeds.index(recipe.seed)])
    assert len(again.files) == 1
    np.testing.assert_array_equal(sf.read(again.files[0])[0], sf.read(res.files[2])[0])


def test_phase_init_is_recorded_and_a_random_phase_file_regenerates_bit_identically(tmp_path):
    """Files written before PGHI (recipes without phase_init) replay with Griffin-Lim's random start."""
    bundle = load_bundle(make_tiny_bundle(tmp_path / "b", vocoder_output="magnitude"))  # phased by Griffin-Lim
    pipe = Pipeline(bundle, [CPU], num_threads=1)
    new = pipe.generate(_req(tmp_path / "pghi", variations=1))
    old = pipe.generate(_req(tmp_path / "random", variations=1, phase_init=PhaseInit.RANDOM))
    assert read_wav_metadata(new.files[0]).recipe.phase_init == "pghi"
    assert read_wav_metadata(old.files[0]).recipe.phase_init == "random"
    assert not np.array_equal(new.audio[0].samples, old.audio[0].samples)  # the same mel, phased otherwise
    again = regenerate(pipe, old.files[0], tmp_path / "re")
    assert again.identical
    with pytest.raises(RequestError, match="phase_init"):
        plan_request(_req(tmp_path, phase_init="zero"), pipe.bundle)


def test_cfg_in_one_batched_call_matches_formula(pipe):
    b = pipe.bundle
    B, M, T, E = 2, b.mel.n_mels, 8, b.query.embed_dim
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, M, T))
    t = np.array([500, 500])
    cond = l2_normalize(rng.standard_normal((B, E)))

    def run(mask):
        feeds = {
            "x_t": x.astype(np.float32),
            "t": t,
            "cond": cond.astype(np.float32),
            "cond_mask": np.full(B, mask, np.float32),
        }
        return pipe.denoiser.run(["out"], feeds)[0].astype(np.float64)

    w = 2.5
    out = pipe.denoiser_fn(cond, w)(x, t)
    np.testing.assert_allclose(out, (1 - w) * run(0.0) + w * run(1.0), atol=1e-5)
    np.testing.assert_allclose(pipe.denoiser_fn(cond, 1.0)(x, t), run(1.0), atol=1e-6)


def test_guidance_changes_the_output(pipe, tmp_path):
    a = pipe.generate(_req(tmp_path / "a", guidance=1.0, variations=1))
    b = pipe.generate(_req(tmp_path / "b", guidance=4.0, variations=1))
    assert not np.allclose(a.audio[0].samples, b.audio[0].samples)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim", "dpmpp_2m"])
def test_every_sampler_runs(pipe, tmp_path, sampler):
    res = pipe.generate(_req(tmp_path, sampler=sampler, steps=4, variations=1))
    assert res.recipes[0].sampler == sampler and np.all(np.isfinite(res.audio[0].samples))


def test_prior_mode_keeps_best_candidate(pipe_full):
    q = pipe_full.query
    embed, tokens = q.encode_text([PROMPT])
    seeds = [3, 4, 5]
    best = q.sample_prior(embed, tokens, seeds)
    assert best.shape == (3, pipe_full.bundle.query.embed_dim)
    np.testing.assert_allclose(np.linalg.norm(best, axis=1), 1.0)
    # keep the candidate with the higher cosine to the text: compare with one-candidate draws
    spec = pipe_full.bundle.prior
    assert spec.candidates == 2
    cos_best = best @ embed[0]
    import dataclasses

    object.__setattr__(pipe_full.bundle, "prior", dataclasses.replace(spec, candidates=1))
    try:
        first = q.sample_prior(embed, tokens, seeds)  # candidate 0 of each seed (same noise stream)
    finally:
        object.__setattr__(pipe_full.bundle, "prior", spec)
    assert np.all(cos_best >= first @ embed[0] - 1e-9)
    np.testing.assert_array_equal(q.sample_prior(embed, tokens, seeds), best)  # seeded


def test_query_modes_and_blend(pipe_full, tmp_path):
    from PIL import Image

    img = tmp_path / "photo.png"
    Image.fromarray((np.random.default_rng(0).random((40, 50, 3)) * 255).astype(np.uint8)).save(img)
    q = pipe_full.query
    text = q.condition(QueryMode.TEXT, PROMPT, [1, 2])
    np.testing.assert_allclose(text[0], text[1])
    prior = q.condition(QueryMode.PRIOR, PROMPT, [1, 2])
    assert not np.allclose(prior[0], prior[1])  # one prior draw per variation
    image = q.condition(QueryMode.IMAGE, "", [1], image=img)
    assert not np.allclose(image[0], text[0])
    other = q.condition(QueryMode.TEXT, "rain", [1])
    blend = q.condition(QueryMode.TEXT, PROMPT, [1], blend_prompt="rain", blend=0.5)
    np.testing.assert_allclose(blend[0], l2_normalize(0.5 * text[0] + 0.5 * other[0]))
    np.testing.assert_allclose(q.condition(QueryMode.TEXT, PROMPT, [1], blend_prompt="rain", blend=1.0)[0], other[0])
    # AUTO: image -> image, else prior when the bundle has one
    assert plan_request(_req(tmp_path, image=img, prompt=""), pipe_full.bundle).mode is QueryMode.IMAGE
    assert plan_request(_req(tmp_path), pipe_full.bundle).mode is QueryMode.PRIOR
    res = pipe_full.generate(_req(tmp_path / "img", image=img, prompt="", variations=1))
    assert res.recipes[0].image_sha256 and res.files[0].name == "photo_s11.wav"


@pytest.mark.parametrize(
    "kw, kind",
    [
        ({"vocoder": False}, "griffin_lim"),
        ({"vocoder_output": "stft"}, "neural (stft)"),
        ({"vocoder_output": "magnitude"}, "neural magnitude + griffin_lim"),
    ],
)
def test_vocoder_variants(tmp_path, kw, kind):
    bundle = load_bundle(make_tiny_bundle(tmp_path / "b", **kw))
    pipe = Pipeline(bundle, [CPU], num_threads=1)
    assert pipe.vocoder.kind == kind
    res = pipe.generate(_req(tmp_path, variations=1, duration=0.4))
    assert res.audio[0].frames == round(0.4 * 48000)
    assert bundle.has(GraphRole.VOCODER) == (kw.get("vocoder", True))


# ------------------------------------------------------------------ SDEdit starts: the library and init audio
@pytest.fixture(scope="module")
def lib_bundle(tmp_path_factory):
    root = make_tiny_bundle(tmp_path_factory.mktemp("lib_bundle"))
    return add_tiny_library(root, make_tiny_corpus(tmp_path_factory.mktemp("corpus")), strength=0.5)


@pytest.fixture(scope="module")
def lib_pipe(lib_bundle):
    return Pipeline(load_bundle(lib_bundle), [CPU], num_threads=1)


def _capture_start(monkeypatch):
    """Record the x_T and timesteps the sampler is started with (the sampler still runs)."""
    seen = {}
    real = samplers.sample

    def spy(name, model_fn, x_T, schedule, timesteps, *args, **kw):
        seen["x_T"], seen["ts"] = np.array(x_T), np.array(timesteps)
        return real(name, model_fn, x_T, schedule, timesteps, *args, **kw)

    monkeypatch.setattr(samplers, "sample", spy)
    return seen


def test_library_seeded_start_is_the_recording_noised_to_the_strength(lib_pipe, tmp_path, monkeypatch):
    seen = _capture_start(monkeypatch)
    req = _req(tmp_path, prompt="heavy rain", steps=10, variations=2, seed=4)
    plan = plan_request(req, lib_pipe.bundle)
    assert plan.library and plan.strength == 0.5  # the bundle's default strength for prompts
    result = lib_pipe.generate(plan)
    full = spaced_timesteps(1000, 10)
    assert seen["ts"].tolist() == full[-5:].tolist()  # ceil(10 * 0.5) last steps
    entries = lib_pipe.source_entries(plan)
    lib = lib_pipe.library
    assert lib.entries[entries[0]].category == "rain"  # "heavy rain" is the nearest caption
    abar = lib_pipe.schedule.alphas_cumprod[full[-5]]
    eps = samplers.randn([np.random.default_rng(s) for s in plan.seeds], (TINY_MEL.n_mels, plan.num_frames))
    x0 = np.stack([lib.x0(k, plan.num_frames) for k in entries])
    np.testing.assert_allclose(seen["x_T"], np.sqrt(abar) * x0 + np.sqrt(1 - abar) * eps, atol=1e-12)
    r = result.recipes[0]
    assert (r.strength, r.source_clip, r.source_licence) == (0.5, lib.entries[entries[0]].id, "CC0-1.0")
    notes = read_wav_metadata(result.files[0]).tags.notes
    assert f"from library recording {r.source_clip} (CC0-1.0) at strength 0.5" in notes


def test_strength_one_is_generation_from_noise_bit_identical_to_a_bundle_without_library(
    lib_pipe, pipe, tmp_path, monkeypatch
):
    a = lib_pipe.synthesize(plan_request(_req(tmp_path / "a", strength=1.0), lib_pipe.bundle))
    b = pipe.synthesize(plan_request(_req(tmp_path / "b"), pipe.bundle))  # same weights, no library
    assert np.array_equal(a, b)
    res = lib_pipe.generate(_req(tmp_path / "c", strength=1.0))
    assert res.recipes[0].source_clip is None and "strength" not in res.recipes[0].to_dict()


def test_library_seeded_files_regenerate_bit_identically(lib_pipe, tmp_path):
    res = lib_pipe.generate(_req(tmp_path / "src", prompt="a dog bark", variations=3))
    assert len({r.source_clip for r in res.recipes}) == 2  # both dog clips, cycled by seed
    again = regenerate(lib_pipe, res.files[2], tmp_path / "again")
    assert again.identical


def test_init_audio_starts_from_the_users_sound_and_regenerates(pipe, tmp_path, monkeypatch):
    sr = 22050  # not the model rate: resampled on the way in
    t = np.arange(int(0.4 * sr)) / sr
    init = tmp_path / "my sound.wav"
    sf.write(init, 0.1 * np.sin(2 * np.pi * 440 * t), sr)
    seen = _capture_start(monkeypatch)
    res = pipe.generate(_req(tmp_path / "out", init_audio=init, steps=10))
    assert seen["ts"].tolist() == spaced_timesteps(1000, 10)[-6:].tolist()  # default strength 0.6
    r = res.recipes[0]
    assert r.strength == 0.6 and r.init_sha256 == sha256_file(init) and r.init_path == str(init.resolve())
    assert regenerate(pipe, res.files[1], tmp_path / "again").identical
    sf.write(init, 0.1 * np.sin(2 * np.pi * 880 * t), sr)  # the user edits the sound: the replay must refuse
    with pytest.raises(RequestError, match="changed since"):
        regenerate(pipe, res.files[1], tmp_path / "again2")
    init.unlink()
    with pytest.raises(RequestError, match="is gone"):
        regenerate(pipe, res.files[1], tmp_path / "again3")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"strength": 0.0}, "strength 0.0 must be a number in"),
        ({"strength": 1.5}, "strength 1.5 must be a number in"),
        ({"strength": float("nan")}, "strength nan must be a number in"),
        ({"strength": 0.5}, "needs a start sound"),  # no library in this bundle, no init audio
        ({"init_audio": "missing.wav"}, "does not exist"),
    ],
)
def test_bad_strength_or_init_is_refused_before_anything_is_written(pipe, tmp_path, kw, message):
    out = tmp_path / "out"
    with pytest.raises(RequestError, match=message):
        pipe.generate(_req(out, **kw))
    assert not out.exists() or not any(out.iterdir())


def test_unreadable_or_silent_init_audio_is_refused(pipe, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(RequestError, match="not a readable sound file"):
        pipe.generate(_req(tmp_path / "a", init_audio=text))
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(4000), 16000)
    with pytest.raises(RequestError, match="is empty or silent"):
        pipe.generate(_req(tmp_path / "b", init_audio=silent))
    assert not any((tmp_path / "b").glob("*.wav"))


def test_a_loop_renders_its_crossfade_on_top_and_is_as_long_as_asked(pipe, tmp_path):
    loop = FinishSpec(loop_crossfade_ms=200.0)
    plan = plan_request(_req(tmp_path, duration=0.7, variations=1, finish=loop), pipe.bundle)
    assert plan.num_samples == round(0.9 * pipe.bundle.mel.sample_rate)  # 0.7 s + the 0.2 s crossfade
    res = pipe.generate(plan)
    assert res.audio[0].loop and res.audio[0].frames == round(0.7 * 48000)
    meta = read_wav_metadata(res.files[0])
    assert meta.loop == (0, meta.frames - 1) and meta.recipe.finish["loop_crossfade_ms"] == 200.0
    assert ", seamless loop (200 ms crossfade), model " in meta.tags.notes  # what a library browser shows
    assert regenerate(pipe, res.files[0], tmp_path / "again").identical


def test_a_crossfade_longer_than_the_sound_is_refused_before_anything_is_written(pipe, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RequestError, match=r"loop crossfade \(800 ms\) is longer than the sound \(0.5 s\)"):
        pipe.generate(_req(out, finish=FinishSpec(loop_crossfade_ms=800.0)))
    assert not out.exists() or not any(out.iterdir())


def test_a_loops_start_sound_runs_on_into_itself(tmp_path):
    from sfxgen.init_audio import load_init_audio

    init = tmp_path / "texture.wav"
    x = np.random.default_rng(5).uniform(-0.5, 0.5, 1000)
    sf.write(init, x, 16000, subtype="FLOAT")
    looped = load_init_audio(init, 16000, 2500, loop_seam=100)
    np.testing.assert_allclose(looped[900:1800], looped[:900])  # a 900-sample loop, repeated, not padded
    np.testing.assert_allclose(looped[100:900], load_init_audio(init, 16000, 1000)[100:900])
    padded = load_init_audio(init, 16000, 2500)
    assert not padded[1000:].any()


def test_stereo_files_are_two_decorrelated_draws_and_regenerate(pipe, tmp_path):
    mono = pipe.generate(_req(tmp_path / "mono", variations=1, finish=FinishSpec(bit_depth=BitDepth.FLOAT32)))
    res = pipe.generate(_req(tmp_path / "st", variations=2, channels=2, finish=FinishSpec(bit_depth=BitDepth.FLOAT32)))
    x, _ = sf.read(res.files[0])  # (S, 2)
    assert x.shape == (round(0.5 * 48000), 2) and res.recipes[0].channels == 2
    m, _ = sf.read(mono.files[0])
    k = np.dot(x[:, 0], m) / np.dot(m, m)  # the left channel is drawn as the mono file is (up to the gain)
    np.testing.assert_allclose(x[:, 0], k * m, atol=1e-4)
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 0.5  # the right one from another stream
    assert read_wav_metadata(res.files[1]).channels == 2
    assert regenerate(pipe, res.files[1], tmp_path / "again").identical
    with pytest.raises(RequestError, match=r"channels 3 must be 1 \(mono\) or 2 \(stereo\)"):
        pipe.generate(_req(tmp_path / "bad", channels=3))


@pytest.mark.parametrize("extension", ["crossfade", "cut"])
def test_a_recording_shorter_than_the_sound_goes_on_as_its_recipe_says(lib_pipe, tmp_path, monkeypatch, extension):
    seen = _capture_start(monkeypatch)
    req = _req(
        tmp_path / extension, prompt="heavy rain", steps=4, variations=1, duration=6.0, start_extension=extension
    )
    plan = plan_request(req, lib_pipe.bundle)
    res = lib_pipe.generate(plan)
    (k,) = lib_pipe.source_entries(plan)
    lib = lib_pipe.library
    assert lib.entries[k].frames < plan.num_frames  # the recording is shorter than the sound
    seam = round(0.5 * TINY_MEL.sample_rate / TINY_MEL.hop_length) if extension == "crossfade" else 0
    abar = lib_pipe.schedule.alphas_cumprod[spaced_timesteps(1000, 4)[-2]]
    eps = samplers.randn([np.random.default_rng(plan.seeds[0])], (TINY_MEL.n_mels, plan.num_frames))
    x0 = lib.x0(k, plan.num_frames, seam=seam)[None]
    np.testing.assert_allclose(seen["x_T"], np.sqrt(abar) * x0 + np.sqrt(1 - abar) * eps, atol=1e-12)
    assert res.recipes[0].start_extension == extension
    assert ("start_extension" in res.recipes[0].to_dict()) == (extension == "crossfade")  # files before it: "cut"
    assert regenerate(lib_pipe, res.files[0], tmp_path / f"again_{extension}").identical
