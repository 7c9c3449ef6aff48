"""Torch modules of the sfxgen components; build them through :func:`exporters.configs.build`."""
