"""MEL logic without a database: the targets CSV, progress against target, quality flags."""

import pytest

from domain.mel import (
    ALL_VILLAGES,
    FlagKind,
    Plan,
    QualityFlag,
    ReportValues,
    Status,
    TargetCatalogue,
    TargetRow,
    TargetsInvalid,
    parse_targets_csv,
    progress,
    quality_flags,
)
from tests.exporting.support import forms

CATALOGUE = TargetCatalogue(
    indicators={"sehat": {"partisipasi_d_s": True, "balita_ditimbang_d": False}},
    villages={"sehat": frozenset({"32.04.12.2001", "32.04.12.2002"})},
)
HEADER = "programme,indicator,village,kind,month,value\n"


def test_targets_csv_rates_in_percent_and_all_villages():
    rows = parse_targets_csv(
        HEADER + "sehat,partisipasi_d_s,,baseline,2026-01,60\n"
        "sehat,partisipasi_d_s,*,target,2026-12,85%\n"
        'sehat,balita_ditimbang_d,32.04.12.2001,target,2026-06,"40,5"\n',
        CATALOGUE,
    )
    assert rows == [
        TargetRow("sehat", "partisipasi_d_s", ALL_VILLAGES, "baseline", "2026-01", 0.6),
        TargetRow("sehat", "partisipasi_d_s", ALL_VILLAGES, "target", "2026-12", 0.85),
        TargetRow("sehat", "balita_ditimbang_d", "32.04.12.2001", "target", "2026-06", 40.5),
    ]


def test_every_bad_row_is_reported_with_its_line():
    text = HEADER + (
        "sehat,partisipasi_d_s,,baseline,2026-01,60\n"
        "kesehatan,partisipasi_d_s,,target,2026-12,80\n"  # 3: programme
        "sehat,bgm,,target,2026-12,5\n"  # 4: indicator
        "sehat,partisipasi_d_s,53.71.01.1001,target,2026-12,80\n"  # 5: village not a member
        "sehat,partisipasi_d_s,,goal,2026-12,80\n"  # 6: kind
        "sehat,partisipasi_d_s,,target,12/2026,80\n"  # 7: month
        "sehat,partisipasi_d_s,,target,2026-12,banyak\n"  # 8: value
        "sehat,partisipasi_d_s,,target,2026-11,120\n"  # 9: rate over 100
        "sehat,partisipasi_d_s,,baseline,2026-02,61\n"  # 10: second baseline
        "sehat,balita_ditimbang_d,,target,2026-12,-1\n"  # 11: negative
        "sehat,balita_ditimbang_d,,target\n"
    )  # 12: columns
    with pytest.raises(TargetsInvalid) as caught:
        parse_targets_csv(text, CATALOGUE)
    assert [p.line for p in caught.value.problems] == list(range(3, 13))
    assert "line 10: a baseline of partisipasi_d_s for this village was given on line 2" in str(caught.value)
    with pytest.raises(TargetsInvalid, match="line 1: the header"):
        parse_targets_csv("indicator,value\n", CATALOGUE)


PLAN = Plan(baseline=("2026-01", 0.60), targets=(("2026-06", 0.70), ("2026-12", 0.85)))


@pytest.mark.parametrize(
    "period, expected",
    [("2026-01", 0.60), ("2026-03", 0.64), ("2026-06", 0.70), ("2026-08", 0.75), ("2026-12", 0.85), ("2027-03", 0.85)],
)
def test_expected_value_lies_on_the_line_through_baseline_and_targets(period, expected):
    assert progress(PLAN, period, 0.5).expected == pytest.approx(expected)


def test_progress_statuses():
    assert progress(PLAN, "2026-03", 0.64).status is Status.ON_TRACK  # expected 0.60 + 0.10 * 2/5
    assert progress(PLAN, "2026-03", 0.63).status is Status.BEHIND
    assert progress(PLAN, "2026-06", 0.70).status is Status.ON_TRACK  # exactly the target
    late = progress(PLAN, "2026-09", 0.76)  # between the two targets
    assert late.expected == pytest.approx(0.775) and late.status is Status.BEHIND
    assert (late.target, late.target_month) == (0.85, "2026-12")
    after = progress(PLAN, "2027-02", 0.85)
    assert (after.expected, after.status) == (0.85, Status.ON_TRACK)  # after the last target: hold it
    assert progress(PLAN, "2026-04", None).status is Status.NO_DATA
    assert progress(PLAN, "2025-12", 0.5).status is None  # before the baseline
    assert progress(PLAN, "2026-04", 0.9, start_month="2026-05").status is None  # not in the programme yet
    assert progress(Plan(), "2026-04", 0.9).status is None  # no target


def test_progress_downwards_and_without_baseline():
    down = Plan(baseline=("2026-01", 0.20), targets=(("2026-11", 0.10),))  # e.g. BGM: lower is better
    assert progress(down, "2026-06", 0.15).status is Status.ON_TRACK
    assert progress(down, "2026-06", 0.16).status is Status.BEHIND
    bare = Plan(targets=(("2026-06", 40),))
    assert progress(bare, "2026-03", 30).status is None  # no line to compare with yet
    assert progress(bare, "2026-03", 41).status is Status.ON_TRACK  # already reached
    assert progress(bare, "2026-06", 39).status is Status.BEHIND


def test_village_rows_replace_all_village_rows_per_kind():
    rows = [
        TargetRow("sehat", "x", "", "baseline", "2026-01", 1),
        TargetRow("sehat", "x", "", "target", "2026-12", 5),
        TargetRow("sehat", "x", "V", "target", "2026-06", 3),
    ]
    assert Plan.for_village(rows, "V") == Plan(("2026-01", 1), (("2026-06", 3),))
    assert Plan.for_village(rows, "W") == Plan(("2026-01", 1), (("2026-12", 5),))


def report(posyandu, period, values, confirmed=None, village="32.04.12.2001", name="Mawar"):
    return ReportValues(village, posyandu, name, "posyandu_bulanan", period, values, confirmed or {})


BASE = {"balita_sasaran_s": 50, "balita_ditimbang_d": 40, "balita_naik_n": 30, "balita_bgm": 2}


def test_quality_flags_on_made_up_data_with_known_anomalies():
    soft = next(r for r in forms()["posyandu_bulanan"].rules if r.kind == "soft")
    reports = [
        report("1", "2026-01", BASE),
        report("1", "2026-02", BASE | {"balita_ditimbang_d": 85}, {"balita_ditimbang_d": (soft.id,)}),  # jump, rule
        report("1", "2026-03", BASE | {"balita_ditimbang_d": 85}),  # identical to February: repeated
        report("1", "2026-04", BASE | {"balita_ditimbang_d": 80}),  # small change: no flag
        report("1", "2026-06", BASE | {"balita_ditimbang_d": 85}),  # May missing: not compared
        report("2", "2026-01", {"balita_sasaran_s": 4, "balita_ditimbang_d": 1}, name="Melati"),
        report("2", "2026-02", {"balita_sasaran_s": 8, "balita_ditimbang_d": 3}, name="Melati"),  # small: no jump
        report("3", "2026-01", {"balita_sasaran_s": 0, "balita_ditimbang_d": 0, "balita_naik_n": 0}, name="Dahlia"),
        report("3", "2026-02", {"balita_sasaran_s": 0, "balita_ditimbang_d": 0, "balita_naik_n": 0}, name="Dahlia"),
    ]
    flags = list(quality_flags(reports, forms()))
    assert flags == [
        QualityFlag(
            "32.04.12.2001",
            "1",
            "Mawar",
            "posyandu_bulanan",
            "2026-02",
            FlagKind.SOFT_RULE,
            "balita_ditimbang_d",
            value=85,
            detail=soft.message.id,
        ),
        QualityFlag(
            "32.04.12.2001",
            "1",
            "Mawar",
            "posyandu_bulanan",
            "2026-02",
            FlagKind.JUMP,
            "balita_ditimbang_d",
            previous=40,
            value=85,
        ),
        QualityFlag("32.04.12.2001", "1", "Mawar", "posyandu_bulanan", "2026-03", FlagKind.REPEATED),
    ]  # all zeros (Dahlia) are not "the same numbers"; values under 10 (Melati) do not jump
