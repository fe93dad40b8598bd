"""Every text of the catalog (titles, instructions, checklists, deviations, reasons for leaving a step out) is
in one language on each side: the English names no Japanese button or dialog, the Japanese keeps only commands,
products and the names the rules of ``tests/language.py`` let through. The browser walk reads one plan; this
reads all of them."""

from procedures.catalog import catalog_as_json
from tests.language import JAPANESE, english_words


def texts(value, path=""):
    """Every ``{"ja": …, "en": …}`` of the catalog, with where it is."""
    if isinstance(value, dict):
        if set(value) == {"ja", "en"} and all(isinstance(v, str) for v in value.values()):
            yield path, value
            return
        for key, item in value.items():
            yield from texts(item, f"{path}.{key}")
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from texts(item, f"{path}[{number}]")


def test_the_catalogs_texts_are_each_in_their_own_language():
    found = list(texts(catalog_as_json()))
    assert len(found) > 400  # every procedure's steps, checklists and deviations are read
    japanese_in_english = [(path, t["en"]) for path, t in found if JAPANESE.search(t["en"])]
    english_in_japanese = [(path, english_words(t["ja"]), t["ja"]) for path, t in found if english_words(t["ja"])]
    assert not japanese_in_english
    assert not english_in_japanese
