"""Query encoders (CLIP text/image towers, MiniLM sentence encoder) and their ONNX export."""
