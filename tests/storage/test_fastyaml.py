"""The fast emitter for new records writes what ruamel writes, and reads back the same."""
from __future__ import annotations

import copy

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from solarcli.storage import fastyaml
from solarcli.storage import yamlio

LEAD = {
    "id": "abcdefghjk", "title": "PV + battery, Berlin", "contact": "0123456789", "source": "import",
    "stage": "new", "stage_history": [{"at": "2026-12-03T16:31:44Z", "by": "test", "from": None, "to": "new",
                                       "reason": "imported as lost"}],
    "facility": "residential", "consumption": {"annual_kwh": 4500, "monthly_kwh": [300, 280.5] + [350] * 10},
    "interests": ["battery", "ev-charger"],
    "site": {"address": {"street": "Hauptstraße 1", "postcode": "10115", "city": "Berlin"}, "lat": 52.52},
    "external_id": "zcrm_5725767000000436001", "value": 18900.5,
    "custom": {"dachfläche_m2": "45", "create_date": "2026-10-12 15:45", "q": "it's", "n": "Anfrage: PV?"},
    "notes": [{"id": "abcd1234", "at": "2026-12-03T16:31:44Z", "by": "test",
               "text": "Backstube mit hohem Tagesverbrauch,\nÖfen laufen ab 3 Uhr.\n\nGruß"}],
    "tags": ["Gewerbe", "Frühjahr 2027"], "import_batches": ["imp-20261203-163144-jfbt"],
    "created": "2026-12-03T16:31:44Z", "updated": "2026-12-03T16:31:44Z",
}


def load_both(text):
    return yaml.load(text, Loader=yaml.CSafeLoader), yamlio.loads_roundtrip(text)


def test_same_text_as_ruamel_for_a_typical_record():
    assert fastyaml.dump(LEAD) == yamlio.dump_roundtrip(copy.deepcopy(LEAD))


def test_strings_yaml_1_1_would_misread_are_quoted():
    text = fastyaml.dump({"a": "yes", "b": "12:30", "c": "Off", "d": "0o17", "e": "1_000"})
    assert text == "a: 'yes'\nb: '12:30'\nc: 'Off'\nd: '0o17'\ne: '1_000'\n"
    for data in load_both(text):
        assert data == {"a": "yes", "b": "12:30", "c": "Off", "d": "0o17", "e": "1_000"}


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                    st.floats(allow_nan=False, allow_infinity=False))
keys = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="_"),
               min_size=1, max_size=8)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(keys, inner, max_size=3)), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=5))
def test_any_plain_record_reads_back_identically_or_is_refused(data):
    text = fastyaml.dump(data)
    if text is None:
        return  # the caller uses ruamel
    fast, rt = load_both(text)
    # what apply.py checks before using the text; when it differs ruamel writes the file
    if fast == data:
        assert rt == data
