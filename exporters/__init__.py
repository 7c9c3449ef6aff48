"""Torch side of sfxgen: model definitions, training, ONNX export with parity checks."""
