"""Do the hidden tests catch wrong work (mutants) and accept other correct work (variants)?

Each mutation replaces some answer cells of an otherwise fully correct submission, so a lost point is the
mutation's doing and not a stub elsewhere.
"""
import pytest

from autograder.course import CourseError
from autograder.mutation import grade_mutation, kernel_zygote, load_mutations, mutations_file, visible_scores
from conftest import ASSIGNMENTS, REFERENCE, ROOT

MINIMUM = {"toy_chain_backprop": (6, 3), "lab7_optimizers": (8, 4), "wine_mlp_backprop": (10, 4),
           "rosenbrock_gd_momentum": (8, 3), "moons_tanh_net": (6, 3), "mnist_two_layer_net": (8, 3)}



def _load(assignment):
    try:
        return load_mutations(ROOT, assignment)
    except CourseError:
        return [], []  # test_enough_mutations reports it


MUTATIONS = {a: _load(a) for a in ASSIGNMENTS}
MUTANTS = [(a, m) for a in ASSIGNMENTS for m in MUTATIONS[a][0]]
VARIANTS = [(a, v) for a in ASSIGNMENTS for v in MUTATIONS[a][1]]


@pytest.fixture(scope="module")
def zygotes():
    """The kernel zygote of the assignment in hand (one at a time: each holds the imports of its notebook)."""
    held = {}

    def zygote(assignment):
        if assignment not in held:
            for other in held.values():
                other.close()
            held.clear()
            held[assignment] = kernel_zygote(ROOT, assignment)
        return held[assignment]

    yield zygote
    for other in held.values():
        other.close()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_enough_mutations(assignment):
    """Does the assignment have at least its required number of mutants and variants, with unique names?"""
    assert mutations_file(ROOT, assignment).is_file(), f"{mutations_file(ROOT, assignment)} is missing"
    mutants, variants = MUTATIONS[assignment]
    least_mutants, least_variants = MINIMUM[assignment]
    assert len(mutants) >= least_mutants and len(variants) >= least_variants
    names = [m.name for m in mutants] + [v.name for v in variants]
    assert len(set(names)) == len(names)


def test_a_solution_passes_as_a_variant(tmp_path):
    """Does the solution itself, graded the mutation way, keep full marks (so a mutant's loss is its own)?"""
    scores = grade_mutation(ROOT, REFERENCE, {}, workdir=tmp_path)
    assert scores and all(s.points == s.max_points for s in scores.values()), scores


@pytest.mark.parametrize("assignment,mutant", MUTANTS, ids=[f"{a}-{m.name}" for a, m in MUTANTS])
def test_mutant_loses_points(assignment, mutant, tmp_path, zygotes):
    """Does this wrong answer lose points in exactly the questions it breaks (and its documented spills), no other?"""
    scores = grade_mutation(ROOT, assignment, mutant.cells, workdir=tmp_path, zygote=zygotes(assignment))
    assert mutant.loses <= set(scores), f"{mutant.name} names unknown tests: {sorted(mutant.loses - set(scores))}"
    lost = {gid for gid, s in scores.items() if s.points < s.max_points}
    kept = sorted(mutant.loses - lost)
    assert not kept, f"{mutant.name} keeps full marks in {kept}"
    spilled = {gid: scores[gid].error for gid in sorted(lost - mutant.loses)}
    assert not spilled, f"{mutant.name} also costs points in other questions: {spilled}"


@pytest.mark.parametrize("assignment,variant", VARIANTS, ids=[f"{a}-{v.name}" for a, v in VARIANTS])
def test_variant_keeps_full_marks(assignment, variant, tmp_path, zygotes):
    """Does this other correct answer keep every point?"""
    scores = grade_mutation(ROOT, assignment, variant.cells, workdir=tmp_path, zygote=zygotes(assignment))
    lost = {gid: s.error for gid, s in scores.items() if s.points < s.max_points}
    assert not lost, f"{variant.name} loses points: {lost}"


def test_a_port_another_process_takes_costs_nothing(tmp_path, monkeypatch):
    """When another process holds the port jupyter_client would hand out first (between its pick and the kernel's
    bind, a TCP kernel dies before it is ready), is the notebook scored in full, its kernel asking for no port?"""
    import socket

    from jupyter_client.connect import LocalPortCache

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    handed_out = []
    find = LocalPortCache.find_available_port

    def first_one_taken(cache, ip):
        if not handed_out:  # the first kernel's shell port is the one this test holds
            handed_out.append(taken.getsockname()[1])
            return handed_out[0]
        return find(cache, ip)

    monkeypatch.setattr(LocalPortCache, "find_available_port", first_one_taken)
    try:
        scores = grade_mutation(ROOT, REFERENCE, {}, workdir=tmp_path)
    finally:
        taken.close()
    assert not handed_out and scores and all(s.points == s.max_points for s in scores.values()), scores


def test_a_run_until_failing_stops_at_the_first_check_that_loses_points(tmp_path, zygotes):
    """With until_failing, are the visible checks scored up to the first that loses points (it failing) and none
    after it, where the full run of the same mutant goes on to score them all?"""
    mutant = next(m for m in MUTATIONS[REFERENCE][0] if m.name == "forward_sin_for_cos")
    (tmp_path / "full").mkdir()
    (tmp_path / "cut").mkdir()
    full = visible_scores(ROOT, REFERENCE, mutant.cells, workdir=tmp_path / "full")
    cut = visible_scores(ROOT, REFERENCE, mutant.cells, workdir=tmp_path / "cut", until_failing=True,
                         zygote=zygotes(REFERENCE))
    order = list(full)
    first = next(gid for gid in order if full[gid].points < full[gid].max_points)
    assert list(cut) == order[:order.index(first) + 1] and len(cut) < len(full), (list(cut), order)
    assert cut[first].points < cut[first].max_points and cut[first].error == full[first].error
