"""``sfxgen`` CLI commands implemented on the torch side (no torch import at module level)."""
