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


def test_the_rules_find_the_other_language_and_let_commands_ids_and_names_through():
    assert JAPANESE.search("Choose 了解 (OK)") and not JAPANESE.search("Choose OK; exit code 0 — gmx1a (node 1)")
    assert english_words("gmx1a (node 1): 終了コード 0", {"gmx1a"}) == ["node"]
    assert english_words("command node2 mail_server db_files_not_precreated") == [
        "command", "node2", "mail_server", "db_files_not_precreated"
    ]  # fmt: skip
    kept = "A-24 の手順で K.5 の cmviewcl を実行、SERVICE_CMD[1] を control.sh.log と /etc/cmcluster に、SHA256 を確認"
    assert english_words(kept) == []
