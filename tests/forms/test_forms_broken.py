"""Broken form files are refused with a FormError that names the file, the place (question or
rule) and the problem, so whoever edits forms/*.yaml can fix it without reading a traceback."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from domain.forms import FormError, load_form, load_forms


def minimal() -> dict:
    """A small valid form; each test breaks one thing in a copy of it."""
    return copy.deepcopy(
        {
            "id": "contoh",
            "title": {"id": "Contoh", "en": "Example"},
            "roles": ["kader"],
            "sections": [
                {
                    "id": "bagian",
                    "title": {"id": "Bagian", "en": "Part"},
                    "questions": [
                        {
                            "id": "balita_s",
                            "type": "count",
                            "example": "40",
                            "unit": "anak",
                            "label": {"id": "Berapa balita (S)?", "en": "How many under-fives (S)?"},
                        },
                        {
                            "id": "balita_d",
                            "type": "count",
                            "example": "30",
                            "unit": "anak",
                            "label": {"id": "Berapa balita ditimbang (D)?", "en": "How many weighed (D)?"},
                        },
                        {
                            "id": "jenis_kelamin",
                            "type": "choice",
                            "label": {"id": "Jenis kelamin?", "en": "Sex?"},
                            "options": [
                                {"id": "l", "label": {"id": "Laki-laki", "en": "Male"}},
                                {"id": "p", "label": {"id": "Perempuan", "en": "Female"}},
                            ],
                        },
                    ],
                }
            ],
            "rules": [
                {
                    "id": "d_le_s",
                    "kind": "hard",
                    "check": "balita_d <= balita_s",
                    "message": {"id": "D tidak boleh lebih dari S.", "en": "D cannot exceed S."},
                }
            ],
            "derived": [{"id": "d_per_s", "label": {"id": "D/S", "en": "D/S"}, "formula": "balita_d / balita_s"}],
        }
    )


def write(tmp_path: Path, data: dict | str, name: str = "contoh.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(FormError) as caught:
        load_form(path)
    return str(caught.value)


def questions(data: dict) -> list[dict]:
    return data["sections"][0]["questions"]


def test_the_minimal_form_is_valid(tmp_path):
    form = load_form(write(tmp_path, minimal()))
    assert [q.id for q in form.questions] == ["balita_s", "balita_d", "jenis_kelamin"]


def test_bad_yaml(tmp_path):
    path = write(tmp_path, "id: contoh\nsections: [\n  - id: bagian\n", "rusak.yaml")
    message = error_of(path)
    assert message.startswith("rusak.yaml: ")
    assert "cannot read the file" in message


def test_tabs_in_yaml(tmp_path):
    path = write(tmp_path, "id: contoh\nroles:\n\t- kader\n", "tab.yaml")
    assert error_of(path).startswith("tab.yaml: cannot read the file")


@pytest.mark.parametrize("content", ["", "- just\n- a list\n", "just text\n"])
def test_a_file_that_is_not_a_form(tmp_path, content):
    message = error_of(write(tmp_path, content, "kosong.yaml"))
    assert message.startswith("kosong.yaml: form: ")
    assert "dictionary" in message


def test_unknown_question_type(tmp_path):
    data = minimal()
    questions(data)[1]["type"] = "angka"
    message = error_of(write(tmp_path, data, "tipe.yaml"))
    assert message.startswith("tipe.yaml: ")
    assert "question balita_d" in message
    assert "type" in message and "'count'" in message  # says what the valid types are


def test_rule_refers_to_an_unknown_answer(tmp_path):
    data = minimal()
    data["rules"][0]["check"] = "balita_n <= balita_d"
    message = error_of(write(tmp_path, data, "aturan.yaml"))
    assert message.startswith("aturan.yaml: ")
    assert "rule d_le_s" in message
    assert "unknown answer(s): balita_n" in message


def test_rule_refers_to_an_unknown_answer_of_last_month(tmp_path):
    data = minimal()
    data["rules"][0]["check"] = "prev.balita_x is None or balita_s >= prev.balita_x"
    message = error_of(write(tmp_path, data, "bulan_lalu.yaml"))
    assert "rule d_le_s" in message and "balita_x" in message


def test_derived_formula_refers_to_an_unknown_answer(tmp_path):
    data = minimal()
    data["derived"][0]["formula"] = "balita_n / balita_d"
    message = error_of(write(tmp_path, data, "turunan.yaml"))
    assert message.startswith("turunan.yaml: ")
    assert "derived d_per_s" in message and "unknown answer(s): balita_n" in message


def test_duplicate_question_id(tmp_path):
    data = minimal()
    questions(data)[1]["id"] = "balita_s"
    message = error_of(write(tmp_path, data, "ganda.yaml"))
    assert message.startswith("ganda.yaml: ")
    assert "question ids used twice: balita_s" in message


def test_duplicate_question_id_across_sections(tmp_path):
    data = minimal()
    data["sections"].append(
        {"id": "lagi", "title": {"id": "Lagi", "en": "Again"}, "questions": [copy.deepcopy(questions(data)[0])]}
    )
    assert "question ids used twice: balita_s" in error_of(write(tmp_path, data))


def test_relevant_uses_a_later_answer(tmp_path):
    data = minimal()
    questions(data)[0]["relevant"] = "balita_d > 0"
    message = error_of(write(tmp_path, data, "urutan.yaml"))
    assert message.startswith("urutan.yaml: ")
    assert "question balita_s" in message
    assert "relevant may only use earlier answers, not balita_d" in message


def test_relevant_uses_its_own_answer(tmp_path):
    data = minimal()
    questions(data)[1]["relevant"] = "balita_d > 0"
    message = error_of(write(tmp_path, data))
    assert "question balita_d" in message and "earlier answers" in message


def test_choice_with_one_option(tmp_path):
    data = minimal()
    questions(data)[2]["options"] = questions(data)[2]["options"][:1]
    message = error_of(write(tmp_path, data, "pilihan.yaml"))
    assert message.startswith("pilihan.yaml: ")
    assert "question jenis_kelamin" in message
    assert "at least two options" in message


def test_options_on_a_count(tmp_path):
    data = minimal()
    questions(data)[0]["options"] = questions(data)[2]["options"]
    message = error_of(write(tmp_path, data))
    assert "question balita_s" in message and "takes no options" in message


def test_duplicate_option_ids(tmp_path):
    data = minimal()
    questions(data)[2]["options"][1]["id"] = "l"
    message = error_of(write(tmp_path, data))
    assert "question jenis_kelamin" in message and "option ids must be unique" in message


def test_expression_syntax_error(tmp_path):
    data = minimal()
    data["rules"][0]["check"] = "balita_d <= "
    message = error_of(write(tmp_path, data, "sintaks.yaml"))
    assert message.startswith("sintaks.yaml: ")
    assert "rules > item d_le_s > check" in message and "syntax error" in message


def test_expression_with_a_forbidden_call(tmp_path):
    data = minimal()
    questions(data)[1]["relevant"] = "len(balita_s) > 0"
    message = error_of(write(tmp_path, data))
    assert "question balita_d" in message and "unknown function" in message


def test_invalid_id(tmp_path):
    data = minimal()
    questions(data)[0]["id"] = "Balita-S"
    message = error_of(write(tmp_path, data))
    assert "'Balita-S' is not a valid id" in message


def test_missing_label_translation(tmp_path):
    data = minimal()
    del questions(data)[1]["label"]["en"]
    message = error_of(write(tmp_path, data))
    assert "question balita_d" in message and "en: Field required" in message


def test_unknown_field_is_a_typo(tmp_path):
    data = minimal()
    questions(data)[0]["requird"] = False
    message = error_of(write(tmp_path, data))
    assert "question balita_s > requird" in message and "Extra inputs are not permitted" in message


def test_format_on_a_number(tmp_path):
    data = minimal()
    questions(data)[0]["format"] = "nik"
    assert "format applies to text questions only" in error_of(write(tmp_path, data))


def test_unknown_role(tmp_path):
    data = minimal()
    data["roles"] = ["dukun"]
    message = error_of(write(tmp_path, data))
    assert "roles" in message and "'kader'" in message


def test_lock_day_before_due_day(tmp_path):
    data = minimal()
    data.update(due_day=10, lock_day=5)
    assert "lock_day comes before due_day" in error_of(write(tmp_path, data))


def test_bad_reminder_time(tmp_path):
    data = minimal()
    data["reminders"] = {"days_before_due": [1], "time": "8 pagi"}
    message = error_of(write(tmp_path, data))
    assert "reminders > time" in message and "HH:MM" in message


def test_load_forms_names_the_broken_file_among_good_ones(tmp_path):
    write(tmp_path, minimal(), "a_baik.yaml")
    data = minimal()
    data["id"] = "lain"
    questions(data)[2]["options"] = questions(data)[2]["options"][:1]
    write(tmp_path, data, "b_rusak.yaml")
    with pytest.raises(FormError, match=r"^b_rusak\.yaml: .*question jenis_kelamin.*at least two options"):
        load_forms(tmp_path)


def test_load_forms_refuses_two_files_with_one_form_id(tmp_path):
    write(tmp_path, minimal(), "a.yaml")
    write(tmp_path, minimal(), "b.yaml")
    with pytest.raises(FormError, match=r"^b\.yaml: form id 'contoh' is used by another file"):
        load_forms(tmp_path)


def test_load_forms_on_an_empty_directory(tmp_path):
    with pytest.raises(FormError, match="no form files"):
        load_forms(tmp_path)
