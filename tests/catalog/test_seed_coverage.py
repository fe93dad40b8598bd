"""Every K.5 step of the source is in the catalog, where the source puts it, with its (M) mark.

The source is Appendix K.5 of the Groupmax manual. ``procedures/catalog/source.tsv`` transcribes, for each
of its steps, the ID the catalog cites, the procedure, where the step acts, whether that is read from the
context, its kind, its (M) mark and a short title; ``flaws.tsv`` lists the flaws of the source the
catalog's deviations name ("flaw 3"). Where the catalog departs from a row on purpose, the step must say so
in its ``deviation`` text.
"""

import csv
import re
from pathlib import Path

import pytest

from procedures.catalog import PROCEDURES
from procedures.plan import Kind, Target

CATALOG_DIR = Path(__file__).resolve().parents[2] / "procedures" / "catalog"
SOURCE = CATALOG_DIR / "source.tsv"
FLAWS = CATALOG_DIR / "flaws.tsv"
FAMILY = {"A": "k5-1a", "B": "k5-1b", "C": "k5-2"}
COLUMNS = ["id", "procedure", "target", "inferred", "kind", "mail", "title"]


def _read_tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def reference_rows() -> list[dict]:
    rows = []
    for number, row in enumerate(_read_tsv(SOURCE), start=2):
        assert list(row) == COLUMNS, f"{SOURCE.name}: columns {list(row)}"
        assert None not in row.values(), f"{SOURCE.name} line {number}: too few cells"
        assert row["inferred"] in ("yes", "no") and row["mail"] in ("yes", "no"), f"line {number}"
        rows.append({**row, "inferred": row["inferred"] == "yes", "m": row["mail"] == "yes"})
    return rows


ROWS = reference_rows()
BY_ID = {row["id"]: row for row in ROWS}


def procedures_for(step_id: str) -> list[str]:
    if step_id.startswith("K-"):  # the requirements of every K.5 procedure (not of the duty run on its own)
        return list(FAMILY.values())
    return [FAMILY[step_id[0]]]


def steps_citing(code: str, step_id: str):
    return [s for s in PROCEDURES[code].steps if step_id in s.seed_ids]


def test_the_reference_has_all_149_ids():
    ids = [row["id"] for row in ROWS]
    assert all(re.fullmatch(r"[ABCK]-(\d\d|N1|P\d)", i) for i in ids), ids
    assert len(ids) == len(set(ids)) == 149  # 143 numbered items and six requirements or notes
    assert {"K-P1", "K-P2", "C-00", "A-N1", "B-N1", "C-N1", "C-P4", "A-50", "B-46", "C-43"} <= set(ids)


def test_each_row_names_its_procedure_a_target_and_a_kind_of_the_catalog():
    for row in ROWS:
        expected = "all" if row["id"].startswith("K-") else FAMILY[row["id"][0]]
        assert row["procedure"] == expected, row["id"]
        assert row["kind"] in Kind.ALL, row["id"]
        assert row["target"] in Target.ALL, row["id"]
        assert row["title"].strip() and row["title"] == row["title"].strip(), row["id"]


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_every_seed_step_is_in_its_procedure_once(row):
    for code in procedures_for(row["id"]):
        assert len(steps_citing(code, row["id"])) == 1, f"{row['id']} in {code}"


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_target_kind_and_mail_mark_follow_the_source_or_the_step_says_why(row):
    for code in procedures_for(row["id"]):
        (step,) = steps_citing(code, row["id"])
        assert step.target == row["target"], f"{row['id']}: target {step.target} != {row['target']}"
        assert step.kind in Kind.ALL
        if step.kind != row["kind"]:
            assert step.deviation, f"{row['id']}: kind {step.kind} != {row['kind']} without a deviation"
        if ("mail_server" in step.conditions) != row["m"]:
            assert step.deviation, f"{row['id']}: (M) {row['m']} not followed and no deviation"
        if len(step.seed_ids) == 1:  # B-18 (named) and B-19 (inferred) are one step
            assert step.inferred == row["inferred"], row["id"]


def test_declared_departures_carry_their_flaw():
    b18 = steps_citing("k5-1b", "B-18")
    assert b18 == steps_citing("k5-1b", "B-19"), "B-18 and B-19 are one step"
    assert b18[0].seed_ids == ("B-18", "B-19")
    assert b18[0].target == "node1" and "db_files_not_precreated" in b18[0].conditions
    assert "flaw 3" in b18[0].deviation["en"] and "flaw 15" in b18[0].deviation["en"]
    (a50,) = steps_citing("k5-1a", "A-50")
    assert "mail_server" in a50.conditions and "flaw 14" in a50.deviation["en"]
    (c19,) = steps_citing("k5-2", "C-19")
    assert c19.target == "both" and "flaw 9" in c19.deviation["en"]
    (b43,) = steps_citing("k5-1b", "B-43")
    assert "mail_server" not in b43.conditions and "flaw 14" in b43.deviation["en"]
    (c08,) = steps_citing("k5-2", "C-08")
    assert "replication_option" in c08.varies_with and "flaw 11" in c08.deviation["en"]
    (c41,) = steps_citing("k5-2", "C-41")
    assert c41.target == "master" and "flaw 18" in c41.deviation["en"]


def test_each_procedure_keeps_the_source_order_except_the_flaw_4_swap():
    for code, letter in (("k5-1a", "A"), ("k5-1b", "B"), ("k5-2", "C")):
        cited = [i for s in PROCEDURES[code].steps for i in s.seed_ids if i.startswith(f"{letter}-")]
        source = [row["id"] for row in ROWS if row["id"].startswith(f"{letter}-")]
        assert sorted(cited) == sorted(source)
        if code == "k5-1b":
            assert cited.index("B-41") < cited.index("B-40")  # flaw 4's recommended order
            (b41,) = steps_citing(code, "B-41")
            assert "flaw 4" in b41.deviation["en"]
            cited = [i for i in cited if i != "B-41"]
            source = [i for i in source if i != "B-41"]
        assert cited == source, code


def test_added_steps_say_why_they_exist():
    for procedure in PROCEDURES.values():
        for step in procedure.steps:
            if not step.seed_ids:
                assert step.deviation and step.deviation["ja"] and step.deviation["en"], step.key
            assert step.title["ja"] and step.title["en"] and step.instruction["ja"] and step.instruction["en"]


def test_keys_are_unique_and_every_procedure_has_a_version():
    for procedure in PROCEDURES.values():
        keys = [s.key for s in procedure.steps]
        assert len(keys) == len(set(keys)), procedure.code
        assert re.fullmatch(r"\d+\.\d+", procedure.version)


def test_our_words_are_not_the_references():
    """Instructions are written for the catalog, not the source's short titles copied."""
    titles = {row["title"] for row in ROWS}
    for procedure in PROCEDURES.values():
        for step in procedure.steps:
            assert step.instruction["en"] not in titles, step.key


def test_flaw_coverage_is_visible():
    deviations = " ".join(s.deviation["en"] for p in PROCEDURES.values() for s in p.steps if s.deviation)
    for flaw in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18):
        assert re.search(rf"flaws? (\d+ and )?{flaw}\b|flaws \d+ and {flaw}\b", deviations), f"flaw {flaw}"


def test_every_flaw_a_deviation_names_is_listed_with_steps_of_the_source():
    flaws = {int(row["flaw"]): row for row in _read_tsv(FLAWS)}
    assert sorted(flaws) == list(range(1, 19))
    ids = set(BY_ID)
    for number, row in flaws.items():
        cited = [i for i in row["steps"].split() if i != "…"]
        assert cited and set(cited) <= ids, f"flaw {number}: {cited}"
        assert row["summary"].strip(), number
    deviations = " ".join(
        text for p in PROCEDURES.values() for s in p.steps if s.deviation for text in s.deviation.values()
    )
    named = {
        int(n) for m in re.finditer(r"flaws? ((?:\d+(?:, | and )?)+)", deviations) for n in re.findall(r"\d+", m[1])
    }
    assert named and named <= set(flaws), named - set(flaws)
