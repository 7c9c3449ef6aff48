"""Instrument notes and drum hits rendered from the Fluid R3 General MIDI soundfont.

Only sampled GM programs are used (120-127, the synthetic sound effects, never). The subset is
kept small (a few minutes) so real sound effects dominate the corpus. Rendering needs the Debian
library ``libfluidsynth3`` and the PyPI package ``pyfluidsynth`` (``import fluidsynth``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SF2_RELPATH = "usr/share/sounds/sf2/FluidR3_GM.sf2"
DRUM_CHANNEL = 9  # MIDI channel 10
SYNTHETIC_PROGRAMS = range(120, 128)  # GM sound effects: not real recordings, never rendered
PEAK_LEVEL = 0.7  # renders are peak-normalised to about -3 dBFS


@dataclass(frozen=True)
class GmNote:
    """One rendered note: program (or drum key) -> category, with its timing."""

    category: str  # category slug in rules.toml
    program: int  # GM program 0-119; -1 for the drum kit
    key: int  # MIDI key
    velocity: int
    hold_s: float  # note-on duration
    tail_s: float  # release tail rendered after note-off

    @property
    def source_path(self) -> str:
        """Stable pseudo path identifying the note (series = program, or drum key)."""
        if self.program < 0:
            return f"{SF2_RELPATH}:drums/key{self.key:03d}_v{self.velocity:03d}"
        return f"{SF2_RELPATH}:program{self.program:03d}/key{self.key:03d}"


# (program, category): two programs per category where GM offers them, so series can split.
_PROGRAMS: tuple[tuple[int, str], ...] = (
    (0, "piano"), (1, "piano"), (2, "piano"),
    (4, "electric_piano"), (5, "electric_piano"),
    (9, "bell_tone"), (14, "bell_tone"),
    (11, "mallet_percussion"), (12, "mallet_percussion"), (13, "mallet_percussion"),
    (16, "organ"), (19, "organ"),
    (24, "acoustic_guitar"), (25, "acoustic_guitar"), (27, "electric_guitar"), (29, "electric_guitar"),
    (30, "electric_guitar"),
    (32, "bass_guitar"), (33, "bass_guitar"), (34, "bass_guitar"),
    (40, "violin"), (42, "cello"), (48, "strings"), (49, "strings"), (46, "harp"),
    (56, "brass"), (57, "brass"), (60, "brass"),
    (65, "saxophone"), (66, "saxophone"), (71, "woodwind"), (73, "woodwind"), (68, "woodwind"),
    (52, "choir"), (47, "timpani"),
)  # fmt: skip
_PITCHES = (48, 60, 72)  # C3, C4, C5
_PITCH_RANGE = {32: (36, 48, 60), 33: (36, 48, 60), 34: (36, 48, 60), 42: (36, 48, 60), 47: (41, 45, 50)}

# (drum key, category): the GM percussion map.
_DRUMS: tuple[tuple[int, str], ...] = (
    (35, "kick_drum"), (36, "kick_drum"), (38, "snare_drum"), (40, "snare_drum"), (37, "snare_drum"),
    (42, "hihat"), (44, "hihat"), (46, "hihat"), (49, "crash_cymbal"), (57, "crash_cymbal"),
    (51, "ride_cymbal"), (59, "ride_cymbal"), (41, "tom_drum"), (45, "tom_drum"), (48, "tom_drum"),
    (50, "tom_drum"), (39, "hand_percussion"), (54, "hand_percussion"), (63, "hand_percussion"),
    (64, "hand_percussion"),
)  # fmt: skip
_DRUM_VELOCITIES = (70, 100, 127)


def gm_notes() -> tuple[GmNote, ...]:
    """The fixed list of notes to render, in a stable order."""
    notes = [
        GmNote(cat, prog, key, 100, 1.2, 0.8)
        for prog, cat in _PROGRAMS
        if prog not in SYNTHETIC_PROGRAMS
        for key in _PITCH_RANGE.get(prog, _PITCHES)
    ]
    notes += [GmNote(cat, -1, key, vel, 0.2, 1.3) for key, cat in _DRUMS for vel in _DRUM_VELOCITIES]
    return tuple(notes)


def render_notes(sf2: Path, notes: tuple[GmNote, ...], sample_rate: int) -> Iterator[tuple[GmNote, np.ndarray]]:
    """Render each note to mono float32 ``(T,)`` at ``sample_rate``, dry (no reverb/chorus), peak-normalised."""
    import fluidsynth  # deferred: needs the system library libfluidsynth3

    synth = fluidsynth.Synth(samplerate=float(sample_rate), gain=0.5)
    try:
        synth.setting("synth.reverb.active", 0)
        synth.setting("synth.chorus.active", 0)
        sfid = synth.sfload(str(sf2))
        if sfid < 0:
            raise RuntimeError(f"FluidSynth could not load {sf2}")
        for note in notes:
            chan = DRUM_CHANNEL if note.program < 0 else 0
            synth.program_select(chan, sfid, 128 if note.program < 0 else 0, max(note.program, 0))
            synth.noteon(chan, note.key, note.velocity)
            on = synth.get_samples(int(note.hold_s * sample_rate))
            synth.noteoff(chan, note.key)
            off = synth.get_samples(int(note.tail_s * sample_rate))
            synth.all_sounds_off(chan)
            synth.get_samples(int(0.05 * sample_rate))  # flush any voice still sounding
            stereo = np.concatenate([on, off]).astype(np.float32).reshape(-1, 2) / 32768.0  # (T, 2)
            mono = stereo.mean(axis=1)
            peak = float(np.max(np.abs(mono)))
            yield note, (mono * (PEAK_LEVEL / peak) if peak > 0 else mono)
    finally:
        synth.delete()
