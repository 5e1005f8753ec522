"""The benchmarks still run and still measure the right thing: each at a tiny size, asserting
counts (nobody lost, nothing stored twice), never times. The figures are in docs/BENCHMARKS.md."""

from __future__ import annotations

from devtools.bench import bench_conversation, bench_reminders, bench_storage


def test_reminder_round_reaches_everyone_once_under_the_flood_limits(capsys):
    outcome = bench_reminders.main(["--people", "12"])
    assert (outcome.sent, outcome.delivered, outcome.lost, outcome.duplicated) == (12, 12, 0, 0)
    assert outcome.log_states == {"sent": 12 * 3}  # three kader forms, one message each person
    assert "achieved rate / 30" in capsys.readouterr().out


def test_storage_benchmark_fills_and_measures(capsys):
    result = bench_storage.main(["--values", "3000", "--saves", "10", "--submits", "3"])
    assert result["stored"] >= 3000 and result["total"] > result["stored"]  # plus the measured submits
    assert all(
        len(result[phase][what].seconds) == n
        for phase in ("empty", "full")
        for what, n in (("save", 10), ("submit", 3))
    )
    passes = result["exports"]["1 village"]
    assert passes["raw_values"][2] > 0 and passes["village_values"][2] > 0 and passes["completeness"][2] > 0
    assert "p95 ratio" in capsys.readouterr().out


def test_conversation_benchmark_answers_are_all_processed_and_stored(capsys):
    result = bench_conversation.main(
        ["--people", "3", "--answers", "3", "--rounds", "1", "--bots", "echo", "lapordesa"]
    )
    [only] = result["rounds"]
    assert {k: m.answers for k, m in only.items()} == {"echo": 9, "lapordesa": 9}
    assert result["stored"]["lapordesa"] == 9
    assert "ratio Lapor Desa" in capsys.readouterr().out
