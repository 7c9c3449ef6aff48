"""~100 real sound-effect prompts used to measure fp32/fp16/int8 encoder parity."""

from __future__ import annotations

_HAND = [
    "heavy wooden door slams shut",
    "rain on a tin roof",
    "a dog barks twice in the distance",
    "glass bottle shatters on concrete",
    "footsteps on gravel, slow walk",
    "footsteps in fresh snow",
    "thunder rumbling far away",
    "a car engine starts and idles",
    "helicopter flying overhead",
    "sword clash, metal on metal",
    "an arrow whooshes past and hits wood",
    "crackling campfire at night",
    "wind howling through a narrow canyon",
    "a river flowing over rocks",
    "seagulls crying at the harbour",
    "old wooden floor creaks",
    "typing on a mechanical keyboard",
    "a cow moos in a field",
    "distant explosion with debris falling",
    "a gunshot echoes in a warehouse",
    "reloading a pump-action shotgun",
    "tyres screech and a car crashes",
    "a siren passes by, Doppler shift",
    "horse galloping on a dirt road",
    "a small bell rings three times",
    "piano chord, soft and sustained",
    "acoustic guitar strum in G major",
    "UI click, short and bright",
    "magic spell charging up, shimmering",
    "laser blast from a sci-fi pistol",
    "robot servo whirring",
    "a wolf howls under the full moon",
    "owl hooting in a dark forest",
    "crowd cheering in a stadium",
    "a chainsaw cutting through a log",
    "hammer hitting a nail, three blows",
    "axe chopping firewood",
    "handsaw cutting a plank",
    "water dripping in a cave",
    "boiling kettle whistles",
    "a coin drops and spins on a table",
    "zipper opening quickly",
    "paper being crumpled",
    "a balloon pops",
    "ice cubes clinking in a glass",
    "an elevator ding and doors opening",
    "subway train arriving at the platform",
    "jet airplane taking off",
    "frogs croaking by a pond at dusk",
    "bees buzzing around a hive",
    "Monster growl, deep & guttural!!",
    "Footsteps: metal grate (x4)",
    "Café ambience — espresso machine, chatter",
    "東京の雨の音",
    "snowstorm wind with ice particles hitting a window",
    "a door creaks open slowly, then slams",
    "medieval battle: swords, shields, shouting soldiers and horses",
    "retro 8-bit coin pickup",
    "whoosh transition, fast",
    "a heartbeat, slow and muffled",
]
_SOURCES = ["a wooden crate", "a metal trash can", "a glass window", "a cardboard box", "a ceramic plate"]
_ACTIONS = ["falls over", "is hit with a hammer", "is dragged across the floor", "breaks apart", "is kicked"]
_PLACES = ["in a small room", "outdoors", "in a large hall", "underwater", "in a tunnel"]

PARITY_TEXTS: list[str] = (
    _HAND
    + [f"{s} {a} {p}" for i, (s, a) in enumerate((s, a) for s in _SOURCES for a in _ACTIONS) for p in [_PLACES[i % 5]]]
    + [f"{s.capitalize()} {_ACTIONS[i % 5]}" for i, s in enumerate(_SOURCES * 3)]
)
