"""Property: random concurrent edit sequences on two clones always sync without
conflict markers and without losing a note (real git, real remote)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import Team, clean_tree, git, load

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("note"), st.sampled_from(["hello", "called", "multi\nline", "ümlaut"])),
        st.tuples(st.just("stage"), st.sampled_from(["new", "contacted", "qualified"])),
        st.tuples(st.just("set"), st.sampled_from(["source=web", "source=referral", "value=100",
                                                  "value=250", "site.address.city=Bonn", "title=T2"])),
        st.tuples(st.just("activity"), st.sampled_from(["call back", "visit"])),
        st.tuples(st.just("done"),),
        st.tuples(st.just("sync"),),
    ),
    max_size=6,
)


def apply(team: Team, repo: Path, lid: str, ops, notes: set):
    for op in ops:
        if op[0] == "note":
            notes.add(team.out(repo, "note", "add", lid, op[1]))
        elif op[0] == "stage":
            if load(repo, f"leads/{lid[0]}/{lid}.yaml")["stage"] != op[1]:
                team.run(repo, "lead", "stage", lid, op[1])
        elif op[0] == "set":
            team.run(repo, "lead", "set", lid, op[1])
        elif op[0] == "activity":
            team.out(repo, "activity", "add", lid, "--type", "task", "--summary", op[1])
        elif op[0] == "done":
            acts = load(repo, f"leads/{lid[0]}/{lid}.yaml").get("activities") or []
            if acts:
                team.run(repo, "activity", "done", lid, acts[0]["id"])
        elif op[0] == "sync":
            team.run(repo, "sync")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops_a=OPS, ops_b=OPS)
def test_two_clones_always_merge_without_markers_or_lost_notes(cli, ok, ops_a, ops_b):
    with tempfile.TemporaryDirectory() as tmp:
        team = Team(Path(tmp), cli, ok)
        lid = team.out(team.a, "lead", "add", "--title", "Roof")
        team.run(team.a, "sync")
        b = team.clone("b")
        notes: set[str] = set()
        apply(team, team.a, lid, ops_a, notes)
        apply(team, b, lid, ops_b, notes)
        for repo in (team.a, b, team.a):
            team.run(repo, "sync")
        assert git(team.a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
        for repo in (team.a, b):
            text = (repo / f"leads/{lid[0]}/{lid}.yaml").read_text()
            assert "<<<<<<<" not in text and ">>>>>>>" not in text
            rec = load(repo, f"leads/{lid[0]}/{lid}.yaml")
            assert {n["id"] for n in rec.get("notes") or []} == notes
            assert clean_tree(repo)
        r = cli("--repo", b, "check")
        assert r.exit_code == 0, r.stdout + r.stderr
