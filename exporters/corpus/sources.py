"""Debian packages that ship real sound effects: where their audio lies and under which licence.

Licences were read from each package's ``/usr/share/doc/<pkg>/copyright``. Where that file is
machine-readable (DEP-5), :mod:`exporters.corpus.licences` refines the per-package default per
file (``upstream_prefix`` maps the installed path back to the upstream path that file uses).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArchiveGlob:
    """Audio stored inside an archive that the package installs: zip format (zip, pk3) or Qt resources (rcc)."""

    archive: str  # glob of the archive, relative to the extracted package root
    members: str  # fnmatch glob of audio members inside the archive
    kind: str = "zip"  # "zip" (zip, pk3) or "qrc" (a binary Qt resource file, read with Qt's own reader)


@dataclass(frozen=True)
class Source:
    """One Debian binary package used as a corpus source."""

    package: str  # Debian binary package name (apt-get download NAME)
    licence: str  # SPDX-like licence of the package's audio (default when the copyright file is not finer)
    audio_globs: tuple[str, ...] = ()  # globs of plain audio files, relative to the extracted root
    archives: tuple[ArchiveGlob, ...] = ()  # audio inside archives
    upstream_prefix: tuple[str, str] = ("", "")  # (installed prefix, upstream prefix) for DEP-5 matching
    note: str = ""  # what the package offers, for the data card


SOURCES: tuple[Source, ...] = (
    Source(
        package="0ad-data",
        licence="CC-BY-SA-3.0",
        archives=(ArchiveGlob("usr/share/games/0ad/mods/public/public.zip", "audio/*.ogg"),),
        note="0 A.D. actors, attacks, animals, resources, ambience loops",
    ),
    Source(
        package="ufoai-sound",
        licence="GPL-2+",
        archives=(ArchiveGlob("usr/share/games/ufoai/base/0snd.pk3", "sound/*.ogg"),),
        upstream_prefix=("usr/share/games/ufoai/", ""),
        note="UFO: Alien Invasion footsteps on 10 surfaces, glass, doors, weapons (per-file licences)",
    ),
    Source(
        package="widelands-data",
        licence="GPL-2+",
        audio_globs=("usr/share/games/widelands/data/sound/**/*.ogg", "usr/share/games/widelands/data/world/**/*.ogg"),
        upstream_prefix=("usr/share/games/widelands/", ""),
        note="Widelands animals, woodcutting, saws, farm, smithing",
    ),
    Source(
        package="wesnoth-1.16-data",
        licence="GPL-2+",
        audio_globs=(
            "usr/share/games/wesnoth/1.16/data/core/sounds/**/*.ogg",
            "usr/share/games/wesnoth/1.16/data/core/sounds/**/*.wav",
        ),
        note="Battle for Wesnoth creature and weapon hits, ambience",
    ),
    Source(
        package="scorched3d-data",
        licence="GPL-2+",
        audio_globs=("usr/share/games/scorched3d/data/globalmods/*/data/wav/**/*.wav",),
        upstream_prefix=("usr/share/games/scorched3d/", ""),
        note="Scorched 3D animals, vehicles, aircraft, explosions (apoc mod: CC-BY-SA-3.0)",
    ),
    Source(
        package="lugaru-data",
        licence="CC-BY-SA-3.0",
        audio_globs=("usr/share/games/lugaru/Sounds/*.ogg",),
        upstream_prefix=("usr/share/games/lugaru/", "Data/"),
        note="Lugaru barks, growls, footsteps, sword, fire, wind",
    ),
    Source(
        package="torcs-data",
        licence="GPL-2+",
        audio_globs=("usr/share/games/torcs/data/sound/*.wav",),
        upstream_prefix=("usr/share/games/torcs/", ""),
        note="TORCS engine loops, skids, crashes",
    ),
    Source(
        package="supertuxkart-data",
        licence="GPL-3+",
        audio_globs=(
            "usr/share/games/supertuxkart/data/sfx/*.ogg",
            "usr/share/games/supertuxkart/data/tracks/*/*.ogg",
            "usr/share/games/supertuxkart/data/library/*/*.ogg",
            "usr/share/games/supertuxkart/data/karts/*/*.ogg",
        ),
        upstream_prefix=("usr/share/games/supertuxkart/", ""),
        note="SuperTuxKart effects (per-file licences, many CC0/CC-BY)",
    ),
    Source(
        package="minetest-data",
        licence="CC-BY-SA-3.0",
        audio_globs=("usr/share/games/minetest/games/minetest_game/mods/*/sounds/*.ogg",),
        upstream_prefix=("usr/share/games/minetest/games/minetest_game/", "mtg/"),
        note="Minetest Game footsteps on 9 surfaces, glass breaking, digging, doors, fire, water",
    ),
    Source(
        package="freedroidrpg-data",
        licence="GPL-2+",
        audio_globs=("usr/share/freedroidrpg/data/sound/effects/**/*.ogg",),
        note="FreedroidRPG glass breaking, blasts, sci-fi weapons",
    ),
    Source(
        package="gcompris-qt-data",
        licence="GPL-3+",
        archives=(ArchiveGlob("usr/share/gcompris-qt/rcc/*.rcc", "gcompris/src/activities/*", kind="qrc"),),
        upstream_prefix=("usr/share/gcompris-qt/rcc/gcompris/", ""),
        note="GCompris farm animals (dog, cow, pig, horse ...) and sound-memory effects (barks, rain, engine)",
    ),
    Source(
        package="qabcs-data",
        licence="GPL-3+",
        audio_globs=("usr/share/qabcs/abcs/all/noises/*.ogg",),
        upstream_prefix=("usr/share/qabcs/", ""),
        note="qABCs picture-alphabet noises: one recording per word (animals, instruments, vehicles, a cat)",
    ),
    Source(
        package="scratch",
        licence="CC-BY-SA-3.0",
        audio_globs=("usr/share/scratch/Media/Sounds/*/*.wav", "usr/share/scratch/Media/Sounds/*/*.mp3"),
        upstream_prefix=("usr/share/scratch/", ""),
        note="Scratch 1.4 sound library: animals (dogs, cats, owl, wolf), doors, screams, percussion (many 11 kHz)",
    ),
    Source(
        package="tuxpaint-stamps-default",
        licence="GPL-2",
        audio_globs=("usr/share/tuxpaint/stamps/**/*.ogg",),
        note="Tux Paint stamp sounds: one object sound per picture",
    ),
)

GM_SOURCE = Source(
    package="fluid-soundfont-gm",
    licence="MIT",
    audio_globs=("usr/share/sounds/sf2/FluidR3_GM.sf2",),
    note="Fluid R3 General MIDI soundfont, rendered with FluidSynth",
)

SOURCES_BY_NAME: dict[str, Source] = {s.package: s for s in (*SOURCES, GM_SOURCE)}
