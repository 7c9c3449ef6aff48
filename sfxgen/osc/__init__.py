"""OSC bridge: REAPER, Max, TouchDesigner or any OSC client asks for sounds and gets file paths back.

- :mod:`sfxgen.osc.addresses`: the address space (constants + documentation).
- :mod:`sfxgen.osc.validate`: argument types/ranges and file-name sanitising.
- :mod:`sfxgen.osc.router`: message -> engine routing and replies, no sockets.
- :mod:`sfxgen.osc.server`: the UDP transport (:class:`~sfxgen.osc.server.OscServer`).
- :mod:`sfxgen.osc.send`: a one-shot client (``python -m sfxgen.osc.send``) for scripts without UDP.
"""
