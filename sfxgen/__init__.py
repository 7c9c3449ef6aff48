"""sfxgen runtime: bundles, onnxruntime engine, samplers, finished WAVs, OSC bridge, CLI.

This package never imports torch or Qt (checked by import-linter in the tests).
"""

__version__ = "0.1.0"
