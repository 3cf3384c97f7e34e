"""Do the visible checks catch enough wrong answers, and does docs/AUTHORING.md's coverage table say how many?

Hidden tests catching every mutant is tests/test_mutations.py's proof (test_mutant_loses_points).
"""
import pytest

from autograder.coverage import Coverage, documented_rows, measure, percent, share, table, total_row
from autograder.mutation import load_mutations
from conftest import ASSIGNMENTS, ROOT

AUTHORING = ROOT / "docs" / "AUTHORING.md"
LEAST_SHARE = 0.70  # every assignment
LEAST_OVERALL = 0.80


def _parse(row):
    """(counted, unseen, caught) from a table row."""
    cells = [c.strip() for c in row.split("|")[1:-1]]
    counted, unseen = cells[1].split(" (+")
    return int(counted), int(unseen.split(" ")[0]), int(cells[2])


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_checks_catch_enough(assignment):
    """Is the table's row the measured one, is every unseen mark right, and do visible checks catch >= 70%?"""
    measured = measure(root=ROOT, assignment=assignment)
    assert not measured.wrongly_marked, f"marked unseen but a visible check catches them: {measured.wrongly_marked}"
    rows = documented_rows(AUTHORING)
    assert rows.get(assignment) == measured.row(), (
        f"docs/AUTHORING.md's coverage row for {assignment} is stale; measured:\n{measured.row()}\n"
        f"(`python -m autograder coverage {assignment}`)")
    assert measured.share >= LEAST_SHARE, (
        f"visible checks catch {percent(measured.share)} of {assignment}'s wrong answers; "
        f"none catches {', '.join(measured.missed)}")


def test_table_covers_every_assignment_and_adds_up():
    """Does the table have one row per assignment and a total row that is their sum, at >= 80% overall?"""
    rows = documented_rows(AUTHORING)
    assert sorted(set(rows) - {"all"}) == sorted(ASSIGNMENTS)
    counted, unseen, caught = (sum(v) for v in zip(*(_parse(rows[a]) for a in ASSIGNMENTS)))
    assert _parse(rows["all"]) == (counted, unseen, caught)
    assert rows["all"].split("|")[4].strip() == percent(share(caught, counted))
    assert share(caught, counted) >= LEAST_OVERALL, f"visible checks catch {percent(share(caught, counted))} overall"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_table_names_the_unseen_mutants(assignment):
    """Does the table name exactly the mutants marked unseen in the mutation file, each with a reason?"""
    mutants, _ = load_mutations(ROOT, assignment)
    marked = [m.name for m in mutants if m.unseen]
    assert all(len(m.unseen.split()) >= 3 for m in mutants if m.unseen), "an unseen mark says why in a few words"
    assert _parse(documented_rows(AUTHORING)[assignment])[1] == len(marked)
    named = documented_rows(AUTHORING)[assignment].split("|")[5]
    assert sorted(n.strip(" `") for n in named.split(",") if n.strip() != "none") == sorted(marked)


def test_table_counts_caught_and_unseen_mutants():
    """Does a row count the unseen ones apart, and the share leave them out and round down?"""
    c = Coverage(assignment="a", mutants=("m1", "m2", "m3", "m4"), unseen=("m4",),
                 caught=(("m1", ("test_x",)), ("m2", ("test_y",))))
    assert c.counted == 3 and c.missed == ("m3",) and c.row() == "| a | 3 (+1 unseen) | 2 | 66% | `m4` |"
    assert total_row([c, c]) == "| all | 6 (+2 unseen) | 4 | 66% | |"
    assert table([c]).splitlines()[2] == c.row()
    wrong = Coverage(assignment="a", mutants=("m1",), unseen=("m1",), caught=(("m1", ("test_x",)),))
    assert wrong.wrongly_marked == ("m1",)
