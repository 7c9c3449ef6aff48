"""The OSC address space of the sfxgen bridge (one place, documented).

Requests (client -> bridge). ``<req_id>`` is a string or an int chosen by the
client; it is echoed unchanged in every reply about that request. Positional
numbers may be sent as int or float (``2`` or ``2.0``); ``[...]`` are optional
and may be left off from the right.

  /sfxgen/generate        <req_id> <prompt> [duration] [variations] [seed] [guidance] [key value ...]
  /sfxgen/generate_image  <req_id> <image_path> [duration] [variations] [seed] [guidance] [key value ...]
      duration   seconds, 0.25 .. 30 (default 2.0)
      variations 1 .. 64 (default 1 over OSC: one file is what a DAW script inserts)
      seed       >= 0; -1 = random (the seed used is in the file's metadata and its name)
      guidance   CFG weight w >= 0; any negative value = the bundle's default
      After the positional numbers, optional ``key value`` pairs (the first string
      after the prompt starts them): ``steps <int>``, ``sampler <ddpm|ddim|dpmpp_2m>``,
      ``blend_prompt <str>``, ``blend <0..1>``, ``name <str>`` (file-name base instead
      of the prompt), ``reply_file <0|1>`` (also write ``<out>/replies/<id>.json``, see
      below), ``prompt <str>`` (generate_image: an extra text prompt to blend with),
      ``init <path>`` (a WAV/FLAC/OGG file on the bridge's machine, absolute path, to make
      variations of; without [duration] the duration is its length), ``strength <0..1]``
      (how much of the start sound to redraw, > 0; 1 = from pure noise; default 0.6 with
      ``init``, else the bundle's library strength when it ships a sound library, else 1),
      ``loop <ms>`` (seamless loops of [duration], the tail crossfaded into the head over
      this many milliseconds, e.g. 500; 0 = no loop), ``sample_rate <48000|44100>``,
      ``bit_depth <16|24|32f>``, ``lufs <-70..0>`` (loudness target; default peak -1 dBFS),
      ``channels <1|2>`` (2: stereo, two decorrelated draws of each variation: ambiences).
  /sfxgen/cancel          <req_id>                     cancel a queued or running request
  /sfxgen/preset          <req_id> <pack> [sound]      render a preset pack, or only its sound ``sound``
      pack       a name looked up in the bridge's presets folder (``--presets``, by default the
                 repository's ``presets/``; ``x`` -> x, x.toml, x.json) or an absolute path; the
                 pack, the sound (its name or fxname) and every request are checked before
                 ``accepted``: a bad one gets an immediate error (listing the pack's sounds for an
                 unknown sound). One preset render at a time (else ``busy``); files go
                 to ``<out>/presets/<pack stem>/``; an earlier render's verified files are kept.
  /sfxgen/status                                       bridge state
  /sfxgen/ping            [token]                      liveness

Replies (bridge -> the sender, or to the sender's host at ``--reply-port``):

  /sfxgen/accepted  <req_id> [reply_file]        queued; exactly one done or error follows ([reply_file]: its path)
  /sfxgen/progress  <req_id> <0..1>               throttled (at most one per PROGRESS_INTERVAL_S per request)
  /sfxgen/done      <req_id> <path> [path ...]    absolute paths of the finished WAVs (preset: files written)
  /sfxgen/error     <req_id> <message>            invalid, failed, or cancelled (message says what / what to fix)
  /sfxgen/busy      <req_id>                      queue full: nothing was queued, try again later
  /sfxgen/status    <state> <provider> <active> <max_queue> <bundle_id> <out_dir>
  /sfxgen/pong      [token]

Every request ends in exactly one of done, error or busy; an accepted request
ends in exactly one done or error. Anything the bridge cannot attribute to a
request (malformed packet, unknown address) gets ``/sfxgen/error <req_id or ""> <message>``.

Reply file (when ``reply_file 1`` is sent or the bridge runs with ``--reply-files``):
``<out>/replies/<file_id>.json`` is written atomically (tmp + rename) at accept
time with ``{"status": "accepted", ...}`` and replaced by the terminal reply
``{"status": "done"|"error"|"busy", "req_id": ..., "files": [...], "message": ...}``.
``file_id`` is the req_id when it matches ``[A-Za-z0-9_-]{1,64}``, otherwise a
sanitised form plus a short hash (see :func:`sfxgen.osc.validate.safe_stem`).
Scripts without UDP (REAPER's Lua) poll that file.
"""

from __future__ import annotations

PREFIX = "/sfxgen"

# Requests.
GENERATE = "/sfxgen/generate"
GENERATE_IMAGE = "/sfxgen/generate_image"
CANCEL = "/sfxgen/cancel"
PRESET = "/sfxgen/preset"
STATUS = "/sfxgen/status"
PING = "/sfxgen/ping"

REQUESTS = (GENERATE, GENERATE_IMAGE, CANCEL, PRESET, STATUS, PING)

# Replies.
ACCEPTED = "/sfxgen/accepted"
PROGRESS = "/sfxgen/progress"
DONE = "/sfxgen/done"
ERROR = "/sfxgen/error"
BUSY = "/sfxgen/busy"
STATUS_REPLY = "/sfxgen/status"
PONG = "/sfxgen/pong"

REPLIES = (ACCEPTED, PROGRESS, DONE, ERROR, BUSY, STATUS_REPLY, PONG)
TERMINAL_REPLIES = (DONE, ERROR, BUSY)  # each request gets exactly one of these

# Behaviour.
DEFAULT_PORT = 9000  # the bridge listens here
DEFAULT_HOST = "127.0.0.1"  # loopback only unless the user says otherwise
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_VARIATIONS = 1  # over OSC one file is the common case (a DAW script inserts it)
DEFAULT_DURATION = 2.0  # seconds
PROGRESS_INTERVAL_S = 0.1  # minimum time between two progress replies of one request
REPLIES_DIR = "replies"  # <out>/replies/<file_id>.json
PRESETS_OUT_DIR = "presets"  # <out>/presets/<pack>/... for /sfxgen/preset
MAX_REQ_ID_CHARS = 256  # longer ids are refused
MAX_REPLY_BYTES = 60000  # a reply datagram stays under the UDP limit; longer path lists are cut (see router)
