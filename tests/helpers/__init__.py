"""Test helpers shared by all test packages (tiny random bundles)."""
