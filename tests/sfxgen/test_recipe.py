"""Recipe: canonical JSON round trip, unknown keys and wrong types refused."""

from __future__ import annotations

import json

import pytest

from sfxgen.finishing import FinishSpec
from sfxgen.recipe import Recipe, RecipeError


def make_recipe(**kw) -> Recipe:
    base = dict(
        prompt="heavy wooden door slams shut",
        blend_prompt="",
        blend=0.0,
        image_sha256=None,
        image_path=None,
        query_mode="text",
        seed=42,
        batch_seeds=(42, 43, 44, 45),
        duration=2.0,
        guidance=1.5,
        steps=25,
        sampler="dpmpp_2m",
        bundle_id="tiny",
        bundle_sha256="ab" * 32,
        finish=FinishSpec().to_dict(),
        sfxgen_version="0.1.0",
    )
    base.update(kw)
    return Recipe(**base)


def test_round_trip_and_canonical_bytes():
    r = make_recipe(prompt="ünïcode & <xml>")
    s = r.to_json()
    assert s.isascii() and " " not in s.replace("ünïcode", "")[:0] + s.split('"prompt"')[0]
    assert Recipe.from_json(s) == r
    assert Recipe.from_json(s).to_json() == s  # canonical: same recipe, same bytes
    assert json.loads(s)["batch_seeds"] == [42, 43, 44, 45]


def test_unknown_key_refused():
    d = json.loads(make_recipe().to_json())
    d["temperature"] = 0.7
    with pytest.raises(RecipeError, match=r"unknown key.*temperature"):
        Recipe.from_dict(d)


def test_missing_key_refused():
    d = json.loads(make_recipe().to_json())
    del d["seed"]
    with pytest.raises(RecipeError, match=r"missing.*seed"):
        Recipe.from_dict(d)


@pytest.mark.parametrize(
    "field,value",
    [
        ("seed", "42"),
        ("seed", True),
        ("guidance", float("nan")),
        ("batch_seeds", (1.5,)),
        ("finish", []),
        ("image_sha256", 3),
    ],
)
def test_wrong_types_refused(field, value):
    with pytest.raises(RecipeError, match=field):
        make_recipe(**{field: value})


def test_seed_must_be_in_batch():
    with pytest.raises(RecipeError, match=r"batch_seeds"):
        make_recipe(seed=7, batch_seeds=(1, 2))


def test_bad_json_and_future_version():
    with pytest.raises(RecipeError, match=r"JSON"):
        Recipe.from_json("{not json")
    d = json.loads(make_recipe().to_json())
    d["recipe_version"] = 99
    with pytest.raises(RecipeError, match=r"recipe_version"):
        Recipe.from_dict(d)


def test_start_fields_are_omitted_from_noise_so_older_recipes_read_the_same():
    plain = make_recipe()
    data = json.loads(plain.to_json())
    assert not {"strength", "init_sha256", "init_path", "source_clip", "source_licence"} & set(data)
    assert Recipe.from_dict(data).strength == 1.0  # a recipe written before SDEdit starts existed
    seeded = make_recipe(strength=0.85, source_clip="breakglass01-d874c16e", source_licence="CC-BY-SA-3.0")
    back = Recipe.from_json(seeded.to_json())
    assert back == seeded and json.loads(seeded.to_json())["strength"] == 0.85
    init = make_recipe(strength=0.6, init_sha256="cd" * 32, init_path="/sounds/door.wav")
    assert Recipe.from_json(init.to_json()).init_path == "/sounds/door.wav"


@pytest.mark.parametrize(
    ("field", "value"), [("strength", 0.0), ("strength", 1.2), ("strength", "0.5"), ("source_clip", 3)]
)
def test_bad_start_fields_refused(field, value):
    with pytest.raises(RecipeError, match=field):
        make_recipe(**{field: value})


def test_phase_init_recorded_and_older_recipes_read_as_random_phase():
    data = json.loads(make_recipe().to_json())
    assert "phase_init" not in data and Recipe.from_dict(data).phase_init == "random"  # files before PGHI
    pghi = make_recipe(phase_init="pghi")
    assert json.loads(pghi.to_json())["phase_init"] == "pghi" and Recipe.from_json(pghi.to_json()) == pghi
    with pytest.raises(RecipeError, match=r"phase_init.*'pghi', 'random'"):
        make_recipe(phase_init="zero")
