"""Training corpus builder for the default model: real sound effects from Debian packages plus GM notes."""
