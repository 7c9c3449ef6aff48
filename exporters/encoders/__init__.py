"""Query encoders (CLIP text/image towers, MiniLM sentence encoder) and their ONNX export.

Entry point: ``build_text_encoder(kind, **cfg)``; MiniLM caption embeddings for training:
``exporters.encoders.minilm.embed_texts``. Importing this package does not import torch.
"""

from exporters.encoders.factory import KINDS, TextEncoder, build_text_encoder

__all__ = ["KINDS", "TextEncoder", "build_text_encoder"]
