"""Walking a form: next/previous question, pruning, rules, required answers, derived indicators."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.formflow import (
    Context,
    all_broken_rules,
    broken_rules,
    changed_answers,
    derived_values,
    is_complete,
    is_relevant,
    key_derived,
    missing_required,
    next_question,
    previous_question,
    prune,
    relevant_questions,
    rules_about,
)
from domain.forms import FormSpec

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def T(text: str) -> dict:
    return {"id": text, "en": text}


def q(id_: str, type_: str = "count", **fields) -> dict:
    return {"id": id_, "type": type_, "label": T(id_), **fields}


def make_form(questions, rules=(), derived=(), sections=None) -> FormSpec:
    return FormSpec.model_validate(
        {
            "id": "uji",
            "title": T("Uji"),
            "roles": ["kader"],
            "sections": sections or [{"id": "s", "title": T("S"), "questions": list(questions)}],
            "rules": list(rules),
            "derived": list(derived),
        }
    )


FORM = make_form(
    sections=[
        {
            "id": "ibu",
            "title": T("Ibu"),
            "questions": [
                q("hamil", "yesno"),
                q("usia_kehamilan", relevant="hamil == True", max=45),
                q("k1", "yesno", relevant="hamil == True and usia_kehamilan >= 12"),
            ],
        },
        {
            "id": "balita",
            "title": T("Balita"),
            "questions": [
                q("sasaran"),
                q("ditimbang"),
                q("naik", required=False),
                q("catatan", "text", required=False),
            ],
        },
    ],
    questions=(),
    rules=[
        {"id": "d_le_s", "kind": "hard", "check": "ditimbang <= sasaran", "message": T("D <= S")},
        {"id": "n_le_d", "kind": "hard", "check": "naik <= ditimbang", "message": T("N <= D")},
        {
            "id": "s_stabil",
            "kind": "soft",
            "check": "prev.sasaran is None or sasaran <= 2 * prev.sasaran",
            "message": T("S jauh naik"),
        },
        {"id": "agustus", "kind": "soft", "check": "month != 8 or ditimbang > 0", "message": T("Bulan timbang")},
    ],
    derived=[
        {"id": "ds", "label": T("D/S"), "formula": "ditimbang / sasaran", "key": True},
        {"id": "nd", "label": T("N/D"), "formula": "naik / ditimbang"},
        {"id": "ds_persen", "label": T("D/S %"), "formula": "ds * 100", "format": "number"},
        {"id": "selisih", "label": T("S - D"), "formula": "sasaran - ditimbang", "format": "number"},
    ],
)
ALL_IDS = [x.id for x in FORM.questions]


def ids(questions) -> list[str]:
    return [x.id for x in questions]


# --------------------------------------------------------------------------- relevance and order


def test_relevance_chain():
    assert ids(relevant_questions(FORM, {})) == ["hamil", "sasaran", "ditimbang", "naik", "catatan"]
    assert ids(relevant_questions(FORM, {"hamil": True})) == [
        "hamil",
        "usia_kehamilan",
        "sasaran",
        "ditimbang",
        "naik",
        "catatan",
    ]
    assert ids(relevant_questions(FORM, {"hamil": True, "usia_kehamilan": 12})) == ALL_IDS
    assert "k1" not in ids(relevant_questions(FORM, {"hamil": True, "usia_kehamilan": 11}))
    assert "k1" not in ids(relevant_questions(FORM, {"hamil": False, "usia_kehamilan": 20}))


def test_undecided_relevance_means_not_relevant():
    assert is_relevant(FORM.question("usia_kehamilan"), {}) is False
    assert is_relevant(FORM.question("usia_kehamilan"), {"hamil": None}) is False
    assert is_relevant(FORM.question("hamil"), {}) is True


def test_next_question():
    assert next_question(FORM, {}).id == "hamil"
    assert next_question(FORM, {"hamil": False}).id == "sasaran"
    assert next_question(FORM, {"hamil": True}).id == "usia_kehamilan"
    assert next_question(FORM, {"hamil": True, "usia_kehamilan": 5}).id == "sasaran"
    assert next_question(FORM, {"hamil": True, "usia_kehamilan": 20}).id == "k1"
    # a skipped (None) answer counts as done
    assert next_question(FORM, {"hamil": False, "sasaran": 10, "ditimbang": 8, "naik": None}).id == "catatan"
    done = {"hamil": False, "sasaran": 10, "ditimbang": 8, "naik": None, "catatan": None}
    assert next_question(FORM, done) is None
    # answers out of order: the first unanswered one comes first
    assert next_question(FORM, {"sasaran": 10, "naik": 3}).id == "hamil"


def test_previous_question():
    answers = {"hamil": True, "usia_kehamilan": 20, "k1": True, "sasaran": 10}
    assert previous_question(FORM, answers, "hamil") is None
    assert previous_question(FORM, answers, "usia_kehamilan").id == "hamil"
    assert previous_question(FORM, answers, "sasaran").id == "k1"
    assert previous_question(FORM, {"hamil": False}, "sasaran").id == "hamil"
    # None means the review, after the last question
    assert previous_question(FORM, answers, None).id == "catatan"
    # a question that is not relevant (any more): the relevant one before its place
    assert previous_question(FORM, {"hamil": False}, "k1").id == "hamil"
    assert previous_question(FORM, {"hamil": True, "usia_kehamilan": 3}, "k1").id == "usia_kehamilan"
    assert previous_question(FORM, {}, "usia_kehamilan").id == "hamil"


def test_previous_of_the_first_relevant_question_is_none_even_if_not_first_in_form():
    form = make_form([q("a", "yesno", relevant="1 > 2"), q("b")])
    assert previous_question(form, {}, "b") is None
    assert previous_question(form, {}, "a") is None


# --------------------------------------------------------------------------- prune


def test_prune_drops_a_whole_chain():
    answers = {"hamil": False, "usia_kehamilan": 20, "k1": True, "sasaran": 10}
    kept, removed = prune(FORM, answers)
    assert kept == {"hamil": False, "sasaran": 10}
    assert removed == ["usia_kehamilan", "k1"]


def test_prune_drops_only_the_dependent_part():
    kept, removed = prune(FORM, {"hamil": True, "usia_kehamilan": 8, "k1": True})
    assert kept == {"hamil": True, "usia_kehamilan": 8}
    assert removed == ["k1"]


def test_prune_keeps_a_valid_set_and_ignores_unknown_ids():
    answers = {"hamil": True, "usia_kehamilan": 20, "k1": None, "sasaran": 0}
    assert prune(FORM, answers) == (answers, [])
    kept, removed = prune(FORM, {"hamil": None, "usia_kehamilan": 3, "hilang": 1})
    assert kept == {"hamil": None} and removed == ["usia_kehamilan"]


def test_prune_does_not_change_its_input():
    answers = {"hamil": False, "usia_kehamilan": 20}
    prune(FORM, answers)
    assert answers == {"hamil": False, "usia_kehamilan": 20}


def test_relevance_may_use_last_month_and_the_month():
    form = make_form([q("a"), q("b", relevant="prev.a is not None and a > prev.a"), q("c", relevant="month == 8")])
    assert ids(relevant_questions(form, {"a": 5})) == ["a"]
    assert ids(relevant_questions(form, {"a": 5}, Context(prev={"a": 3}, month=8))) == ["a", "b", "c"]
    assert prune(form, {"a": 5, "b": 1, "c": 2}, Context(prev={"a": 9}, month=8)) == ({"a": 5, "c": 2}, ["b"])


# --------------------------------------------------------------------------- rules


def test_rules_about():
    assert [r.id for r in rules_about(FORM, "ditimbang")] == ["d_le_s", "n_le_d", "agustus"]
    assert [r.id for r in rules_about(FORM, "sasaran")] == ["d_le_s", "s_stabil"]
    assert rules_about(FORM, "catatan") == []


def test_broken_rules_only_when_inputs_are_answered():
    assert broken_rules(FORM, {"ditimbang": 12}, "ditimbang", "hard") == []
    assert broken_rules(FORM, {"ditimbang": 12, "sasaran": None}, "ditimbang", "hard") == []
    broken = broken_rules(FORM, {"ditimbang": 12, "sasaran": 10}, "ditimbang", "hard")
    assert [r.id for r in broken] == ["d_le_s"]
    assert [r.id for r in broken_rules(FORM, {"ditimbang": 12, "sasaran": 10}, "sasaran", "hard")] == ["d_le_s"]
    assert broken_rules(FORM, {"ditimbang": 10, "sasaran": 10}, "ditimbang", "hard") == []
    # a rule not about the question is not reported for it
    assert broken_rules(FORM, {"ditimbang": 12, "sasaran": 10}, "naik", "hard") == []
    # kind is respected
    assert broken_rules(FORM, {"ditimbang": 12, "sasaran": 10}, "ditimbang", "soft") == []


def test_broken_rules_with_context():
    answers = {"sasaran": 30, "ditimbang": 0}
    assert broken_rules(FORM, answers, "sasaran", "soft") == []  # no last month
    assert broken_rules(FORM, answers, "sasaran", "soft", Context(prev={"sasaran": 20})) == []
    soft = broken_rules(FORM, answers, "sasaran", "soft", Context(prev={"sasaran": 10}))
    assert [r.id for r in soft] == ["s_stabil"]
    assert [r.id for r in broken_rules(FORM, answers, "ditimbang", "soft", Context(month=8))] == ["agustus"]
    assert broken_rules(FORM, answers, "ditimbang", "soft", Context(month=9)) == []
    assert broken_rules(FORM, answers, "ditimbang", "soft") == []  # month unknown: undecided


def test_all_broken_rules():
    answers = {"sasaran": 10, "ditimbang": 12, "naik": 13}
    assert [r.id for r in all_broken_rules(FORM, answers)] == ["d_le_s", "n_le_d"]
    assert [r.id for r in all_broken_rules(FORM, answers, "hard")] == ["d_le_s", "n_le_d"]
    assert all_broken_rules(FORM, answers, "soft") == []
    assert [
        r.id
        for r in all_broken_rules(FORM, {"sasaran": 50, "ditimbang": 0}, "soft", Context(prev={"sasaran": 10}, month=8))
    ] == ["s_stabil", "agustus"]
    assert all_broken_rules(FORM, {}) == []


def test_a_division_by_zero_does_not_break_a_rule():
    form = make_form([q("a"), q("b")], rules=[{"id": "r", "kind": "hard", "check": "a / b <= 1", "message": T("m")}])
    assert all_broken_rules(form, {"a": 5, "b": 0}) == []
    assert [r.id for r in all_broken_rules(form, {"a": 5, "b": 1})] == ["r"]


def test_a_rule_on_a_derived_indicator_breaks():
    form = make_form(
        [q("a"), q("b")],
        rules=[{"id": "rate_le_1", "kind": "hard", "check": "rate <= 1", "message": T("m")}],
        derived=[{"id": "rate", "label": T("rate"), "formula": "a / b"}],
    )
    assert derived_values(form, {"a": 5, "b": 2}) == {"rate": 2.5}
    assert [r.id for r in all_broken_rules(form, {"a": 5, "b": 2})] == ["rate_le_1"]


# --------------------------------------------------------------------------- required and complete


def test_missing_required():
    assert ids(missing_required(FORM, {})) == ["hamil", "sasaran", "ditimbang"]
    assert ids(missing_required(FORM, {"hamil": True})) == ["usia_kehamilan", "sasaran", "ditimbang"]
    assert ids(missing_required(FORM, {"hamil": True, "usia_kehamilan": None})) == [
        "usia_kehamilan",
        "sasaran",
        "ditimbang",
    ]
    answers = {"hamil": False, "sasaran": 0, "ditimbang": 0}
    assert missing_required(FORM, answers) == []  # 0 is an answer; optional ones are not needed
    assert not is_complete(FORM, answers)  # but naik/catatan were not offered yet
    assert is_complete(FORM, {**answers, "naik": None, "catatan": None})
    assert not is_complete(FORM, {**answers, "naik": None, "catatan": None, "sasaran": None})


# --------------------------------------------------------------------------- derived


def test_derived_values():
    values = derived_values(FORM, {"sasaran": 20, "ditimbang": 15, "naik": 6})
    assert values == {"ds": 0.75, "nd": 0.4, "ds_persen": 75.0, "selisih": 5.0}
    assert all(isinstance(v, float) for v in values.values())


def test_derived_values_with_missing_inputs_and_zero_denominators():
    assert derived_values(FORM, {}) == {"ds": None, "nd": None, "ds_persen": None, "selisih": None}
    assert derived_values(FORM, {"sasaran": 0, "ditimbang": 0}) == {
        "ds": None,
        "nd": None,
        "ds_persen": None,
        "selisih": 0.0,
    }
    assert derived_values(FORM, {"sasaran": 10, "ditimbang": 0, "naik": 0}) == {
        "ds": 0.0,
        "nd": None,
        "ds_persen": 0.0,
        "selisih": 10.0,
    }
    assert derived_values(FORM, {"sasaran": 10, "ditimbang": 5, "naik": None})["nd"] is None


def test_derived_values_do_not_change_the_answers():
    answers = {"sasaran": 20, "ditimbang": 15}
    derived_values(FORM, answers)
    assert answers == {"sasaran": 20, "ditimbang": 15}


def test_derived_may_use_last_month():
    form = make_form(
        [q("a")], derived=[{"id": "naik", "label": T("naik"), "formula": "a - prev.a", "format": "number"}]
    )
    assert derived_values(form, {"a": 7}, Context(prev={"a": 5})) == {"naik": 2.0}
    assert derived_values(form, {"a": 7}) == {"naik": None}


def test_key_derived():
    assert [d.id for d in key_derived(FORM)] == ["ds"]


# --------------------------------------------------------------------------- changes


def test_changed_answers():
    old = {"a": 1, "b": 2, "c": None, "d": [1, 2]}
    new = {"a": 1, "b": 3, "e": 5, "d": [1, 2]}
    assert changed_answers(old, new) == {"b": (2, 3), "e": (None, 5)}
    assert changed_answers(new, old) == {"b": (3, 2), "e": (5, None)}
    assert changed_answers({"a": 1}, {}) == {"a": (1, None)}
    assert changed_answers({}, {}) == {}
    assert list(changed_answers({"z": 1, "a": 1}, {})) == ["a", "z"]
    assert changed_answers({"a": 0}, {"a": None}) == {"a": (0, None)}


# --------------------------------------------------------------------------- properties


@st.composite
def forms_and_answers(draw):
    """A small random form whose `relevant` conditions look at earlier answers, and random answers."""
    n = draw(st.integers(2, 7))
    questions = []
    for i in range(n):
        fields = {"required": draw(st.booleans())}
        if i and draw(st.booleans()):
            parts = []
            for _ in range(draw(st.integers(1, 2))):
                j = draw(st.integers(0, i - 1))
                parts.append(
                    draw(
                        st.sampled_from(
                            [
                                f"q{j} > {draw(st.integers(0, 4))}",
                                f"q{j} is None",
                                f"q{j} is not None",
                                f"q{j} != 2",
                                f"answered(q{j})",
                                f"prev.q{j} is None or q{j} >= prev.q{j}",
                            ]
                        )
                    )
                )
            fields["relevant"] = draw(st.sampled_from([" and ", " or "])).join(parts)
        questions.append(q(f"q{i}", **fields))
    form = make_form(questions)
    answers = draw(
        st.dictionaries(st.sampled_from([f"q{i}" for i in range(n)]), st.one_of(st.none(), st.integers(0, 5)))
    )
    context = Context(prev=draw(st.dictionaries(st.sampled_from([f"q{i}" for i in range(n)]), st.integers(0, 5))))
    return form, answers, context


@FAST
@given(forms_and_answers())
def test_prune_is_idempotent_and_keeps_only_relevant_answers(case):
    form, answers, context = case
    kept, removed = prune(form, answers, context)
    assert prune(form, kept, context) == (kept, [])
    assert set(kept) | set(removed) == set(answers) and not set(kept) & set(removed)
    assert all(kept[k] == answers[k] for k in kept)
    relevant = set(ids(relevant_questions(form, kept, context)))
    assert set(kept) <= relevant
    for question_id in kept:
        assert is_relevant(form.question(question_id), kept, context)
    # removed in form order
    assert removed == sorted(removed, key=form.index)


@FAST
@given(forms_and_answers())
def test_next_question_is_never_answered(case):
    form, answers, context = case
    following = next_question(form, answers, context)
    relevant = relevant_questions(form, answers, context)
    if following is None:
        assert all(x.id in answers for x in relevant)
    else:
        assert following.id not in answers
        assert following in relevant
        earlier = relevant[: relevant.index(following)]
        assert all(x.id in answers for x in earlier)


@FAST
@given(forms_and_answers())
def test_after_pruning_the_walk_is_consistent(case):
    form, answers, context = case
    kept, _ = prune(form, answers, context)
    relevant = relevant_questions(form, kept, context)
    assert ids(missing_required(form, kept, context)) == [
        x.id for x in relevant if x.required and kept.get(x.id) is None
    ]
    assert is_complete(form, kept, context) == (
        all(x.id in kept for x in relevant) and not missing_required(form, kept, context)
    )
    # walking back from the review visits every relevant question once, in reverse order
    seen, current = [], None
    while (before := previous_question(form, kept, current, context)) is not None:
        seen.append(before.id)
        current = before.id
    assert seen == list(reversed(ids(relevant)))


@FAST
@given(
    st.dictionaries(st.sampled_from("abcde"), st.one_of(st.none(), st.integers(0, 3))),
    st.dictionaries(st.sampled_from("abcde"), st.one_of(st.none(), st.integers(0, 3))),
)
def test_changed_answers_properties(old, new):
    changes = changed_answers(old, new)
    assert changed_answers(old, old) == {}
    assert changed_answers(new, old) == {k: (b, a) for k, (a, b) in changes.items()}
    applied = {**old, **{k: b for k, (a, b) in changes.items()}}
    assert {k: v for k, v in applied.items() if v is not None} == {k: v for k, v in new.items() if v is not None}
