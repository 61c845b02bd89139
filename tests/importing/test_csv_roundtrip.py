"""Property: what the exporter writes to CSV, the reader gives back cell for cell."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from solarcli.importing.export import write_csv
from solarcli.importing.planner import unneutralise
from solarcli.importing.readers import open_source

cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=25)


@settings(max_examples=150, deadline=None)
@example([["", "", "\t"]], False)  # a blank row stays blank: its tab is not neutralised
@example([["Ada", "\t", "\r\n"], ["\t=1+1", "'", " "]], False)
@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=6), st.booleans())
def test_exported_csv_reads_back_identically(tmp_path_factory, rows, raw):
    cols = ["name", "note", "custom.x"]
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_csv(fh, cols, [dict(zip(cols, r)) for r in rows], raw=raw)
    src = open_source(str(path), delimiter=",")
    assert src.headers == cols
    got = [[(v if raw else unneutralise(v)) for v in (row.get(c, "") for c in cols)] for _, row in src.rows()]
    # rows whose cells are all blank are skipped by the reader (they carry nothing)
    want = [r for r in rows if any(c.strip() for c in r)]
    assert got == want
