"""Place names compare without regard to case or accents; `place:` values name levels."""

from __future__ import annotations

from photoclip.core.places.names import Place, fold, spec_parts


def test_names_fold_case_accents_and_hyphens() -> None:
    assert fold("SÃO  Paulo") == fold("sao paulo") == "sao paulo"
    assert fold("Île-de-France") == "ile de france"
    assert fold("Zürich") == fold("zurich")


def test_one_or_two_parts_match_any_level() -> None:
    lisbon = Place("Lisbon", "Lisbon", "Portugal", "PT")
    sintra = Place("Sintra", "Lisbon", "Portugal", "PT")
    assert lisbon.matches("lisbon") and sintra.matches("Lisbon"), "the region counts too"
    assert sintra.matches("PORTUGAL") and sintra.matches("Sintra, Portugal")
    assert not sintra.matches("Porto") and not sintra.matches("Sintra, Spain")
    assert not sintra.matches(" , ")


def test_three_parts_are_city_region_country_exactly() -> None:
    lisbon = Place("Lisbon", "Lisbon", "Portugal", "PT")
    sintra = Place("Sintra", "Lisbon", "Portugal", "PT")
    assert lisbon.matches("Lisbon, Lisbon, Portugal")
    assert not sintra.matches("Lisbon, Lisbon, Portugal"), "the city named like its region is one place"
    assert spec_parts("Paris, Texas") == ("paris", "texas")


def test_labels_drop_repeats_and_blanks() -> None:
    assert Place("Lisbon", "Lisbon", "Portugal").label() == "Lisbon, Portugal"
    assert Place("", "", "Iceland").label() == "Iceland"
    assert not Place()
