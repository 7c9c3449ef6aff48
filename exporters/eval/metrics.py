"""Numbers of the evaluation: Fréchet distance, accuracy, vocoder reconstruction errors."""

from __future__ import annotations

import numpy as np
from scipy import linalg

from sfxgen.configs import MelConfig
from sfxgen.mel import log_mel


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to embeddings a (N, D) and b (K, D) (Heusel et al. 2017).

    d^2 = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)); as FAD, with our classifier's embeddings.
    """
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("need at least two embeddings on each side")
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(s_a @ s_b, disp=False)
    if not np.isfinite(covmean).all():  # near-singular product: regularise as pytorch-fid does
        offset = np.eye(s_a.shape[0]) * eps
        covmean = linalg.sqrtm((s_a + offset) @ (s_b + offset))
    covmean = np.real(covmean)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a) + np.trace(s_b) - 2.0 * np.trace(covmean))


def accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Top-k accuracy of class scores (N, C) (logits or log-probabilities) against integer labels (N,)."""
    if len(labels) == 0:
        return float("nan")
    topk = np.argsort(-scores, axis=1)[:, :k]
    return float(np.mean([labels[i] in topk[i] for i in range(len(labels))]))


def log_mel_l1(reference: np.ndarray, estimate: np.ndarray, mel: MelConfig) -> float:
    """Mean absolute difference of natural-log mels (the vocoder's reconstruction error)."""
    n = min(len(reference), len(estimate))
    return float(np.mean(np.abs(log_mel(reference[:n], mel) - log_mel(estimate[:n], mel))))


def multires_spectral_convergence(reference: np.ndarray, estimate: np.ndarray, sample_rate: int) -> float:
    """Mean spectral convergence ||S_ref| - |S_est||_F / ||S_ref||_F over three STFT resolutions."""
    from sfxgen.mel import stft

    n = min(len(reference), len(estimate))
    out = []
    for n_fft, hop in ((512, 128), (1024, 256), (2048, 512)):
        cfg = MelConfig(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop, win_length=n_fft, f_max=sample_rate / 2)
        s_ref, s_est = np.abs(stft(reference[:n], cfg)), np.abs(stft(estimate[:n], cfg))
        out.append(np.linalg.norm(s_ref - s_est) / max(np.linalg.norm(s_ref), 1e-12))
    return float(np.mean(out))
