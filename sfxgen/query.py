"""Query encoding: the condition vector q (N, E) the denoiser is guided by.

Modes (Dong et al., CLIPSonic, WASPAA 2023):
  * text (ZS): the text embedding as is;
  * prior (PD/SD): text embedding -> diffusion prior -> an image-like embedding; draw
    ``candidates`` samples per variation and keep the one with the higher cosine to the text
    embedding (paper appendix A);
  * image (IQ): the image embedding.
A blend interpolates the final embeddings of two prompts, q = norm((1 - b) q_a + b q_b).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sfxgen import samplers
from sfxgen.bundle import Bundle, GraphRole
from sfxgen.request import QueryMode
from sfxgen.schedule import make_schedule, spaced_timesteps
from sfxgen.sessions import make_session

log = logging.getLogger(__name__)

PRIOR_STREAM = 1  # seed stream of the prior noise: default_rng([seed, PRIOR_STREAM]) (denoiser uses stream 0)


def l2_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), 1e-12)


def resolve_mode(mode: QueryMode, has_image: bool, bundle: Bundle) -> QueryMode:
    """AUTO -> image if an image is given, else prior if the bundle has one, else text."""
    if mode is not QueryMode.AUTO:
        return mode
    if has_image:
        return QueryMode.IMAGE
    return QueryMode.PRIOR if bundle.has(GraphRole.PRIOR) else QueryMode.TEXT


class QueryEncoder:
    """Owns the text/image encoder and prior sessions of a bundle."""

    def __init__(self, bundle: Bundle, providers: list[str], num_threads: int | None = None) -> None:
        from sfxgen.tokenizers import load_tokenizer  # the encoder engineer's module

        self.bundle = bundle
        self.tokenizer = load_tokenizer(bundle.query.tokenizer, bundle.root)
        self.text = make_session(bundle.path(GraphRole.TEXT_ENCODER), providers, num_threads)
        self._text_inputs = {i.name for i in self.text.get_inputs()}
        self.image = (
            make_session(bundle.path(GraphRole.IMAGE_ENCODER), providers, num_threads)
            if bundle.has(GraphRole.IMAGE_ENCODER)
            else None
        )
        self.prior = (
            make_session(bundle.path(GraphRole.PRIOR), providers, num_threads) if bundle.has(GraphRole.PRIOR) else None
        )

    # --- encoders -------------------------------------------------------------------------
    def encode_text(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """texts -> (text_embed (N, E) float64 unit norm, text_tokens (N, L, W) float32)."""
        feeds = self.tokenizer.encode(list(texts))
        feeds = {k: np.asarray(v, dtype=np.int64) for k, v in feeds.items() if k in self._text_inputs}
        embed, tokens = self.text.run(["text_embed", "text_tokens"], feeds)
        return l2_normalize(embed.astype(np.float64)), tokens

    def encode_image(self, image: Path) -> np.ndarray:
        """Image file -> image_embed (1, E) float64 unit norm."""
        if self.image is None:
            raise ValueError(f"bundle {self.bundle.bundle_id!r} has no image encoder; image queries need one")
        from sfxgen.image import preprocess  # the encoder engineer's module (PIL, no torch)

        q = self.bundle.query
        pixels = preprocess(image, q.image_size, q.image_mean, q.image_std)  # (3, H, W)
        (embed,) = self.image.run(["image_embed"], {"pixel_values": pixels[None].astype(np.float32)})
        return l2_normalize(embed.astype(np.float64))

    # --- prior ----------------------------------------------------------------------------
    def sample_prior(self, text_embed: np.ndarray, text_tokens: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        """One image-like embedding per seed from the diffusion prior, best of ``candidates`` by cosine.

        Args:
            text_embed: (1, E) the prompt's text embedding.
            text_tokens: (1, L, W) its token features.
            seeds: one per variation; candidate noise rows come from default_rng([seed, PRIOR_STREAM]).
        Returns:
            (len(seeds), E) float64 unit-norm embeddings.
        """
        spec = self.bundle.prior
        if self.prior is None or spec is None:
            raise ValueError(f"bundle {self.bundle.bundle_id!r} has no diffusion prior; use query mode 'text'")
        C, N, E = spec.candidates, len(seeds), text_embed.shape[-1]
        rngs = [np.random.default_rng([seed, PRIOR_STREAM]) for seed in seeds for _ in range(C)]  # N*C rows
        x_T = samplers.randn(rngs, (E,))  # (N*C, E)
        B = N * C
        emb = np.repeat(text_embed.astype(np.float32), B, axis=0)  # (B, E)
        tok = np.repeat(text_tokens.astype(np.float32), B, axis=0)  # (B, L, W)
        w = spec.guidance

        def net(x: np.ndarray, t: np.ndarray) -> np.ndarray:
            rows = x.shape[0]
            mask = np.ones(rows, np.float32) if rows == B else np.r_[np.ones(B), np.zeros(B)].astype(np.float32)
            reps = rows // B
            feeds = {
                "x_t": x.astype(np.float32),
                "t": t.astype(np.int64),
                "text_embed": np.concatenate([emb] * reps),
                "text_tokens": np.concatenate([tok] * reps),
                "cond_mask": mask,
            }
            return self.prior.run(["out"], feeds)[0]  # type: ignore[union-attr]

        model_fn = net if w == 1.0 else samplers.guided(net, w)
        schedule = make_schedule(spec.schedule)
        ts = spaced_timesteps(schedule.num_train_steps, min(spec.num_steps, schedule.num_train_steps))
        x0 = samplers.sample(samplers.SamplerName.DDIM, model_fn, x_T, schedule, ts, spec.prediction, rngs=rngs)
        cand = l2_normalize(x0).reshape(N, C, E)
        cos = cand @ l2_normalize(text_embed[0])  # (N, C)
        best = np.argmax(cos, axis=1)
        return cand[np.arange(N), best]

    # --- the whole query ------------------------------------------------------------------
    def condition(
        self,
        mode: QueryMode,
        prompt: str,
        seeds: Sequence[int],
        image: Path | None = None,
        blend_prompt: str = "",
        blend: float = 0.0,
    ) -> np.ndarray:
        """The denoiser condition for every variation: (len(seeds), E) float64.

        ``mode`` must be resolved (not AUTO). With a blend, the second query is ``blend_prompt``
        through the same mode (text or prior; with an image query, its text embedding).
        """
        n = len(seeds)
        texts = [t for t in (prompt, blend_prompt if blend > 0 else "") if t]
        text_embed, text_tokens = self.encode_text(texts) if texts else (None, None)

        def from_text(i: int) -> np.ndarray:  # (n, E)
            assert text_embed is not None and text_tokens is not None
            if mode is QueryMode.PRIOR:
                return self.sample_prior(text_embed[i : i + 1], text_tokens[i : i + 1], seeds)
            return np.repeat(text_embed[i : i + 1], n, axis=0)

        if mode is QueryMode.IMAGE:
            if image is None:
                raise ValueError("query mode 'image' needs an image")
            q_a = np.repeat(self.encode_image(image), n, axis=0)
            if blend > 0 and blend_prompt:
                # the blend partner of an image query is the text embedding of blend_prompt
                q_b = np.repeat(text_embed[-1:], n, axis=0)  # type: ignore[index]
                return l2_normalize((1.0 - blend) * q_a + blend * q_b)
            return q_a
        q_a = from_text(0)
        if blend > 0 and blend_prompt:
            return l2_normalize((1.0 - blend) * q_a + blend * from_text(len(texts) - 1))
        return q_a
