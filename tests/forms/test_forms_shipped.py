"""The shipped forms (forms/*.yaml): they load, use the catalogue ids, and their rules and
formulas do what the indicator reference says, checked on hand-made answer sets."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from domain.expressions import Scope, compile_expression, holds, value_of
from domain.forms import FormSpec, QuestionType, load_form, load_forms
from domain.roles import Role

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
INDICATORS_MD = Path("/work/shared/domain/indicators.md")  # the reference; optional in CI

# The catalogue ids each form asks (indicators.md §1), and which of them are `optional: true`.
CATALOGUE = {
    "posyandu_bulanan": (
        "balita_sasaran_s",
        "balita_punya_kms_k",
        "balita_ditimbang_d",
        "balita_naik_n",
        "balita_tidak_naik_t",
        "balita_2t",
        "balita_bgm",
        "balita_diukur_tb",
        "balita_stunting",
        "balita_sangat_pendek",
        "balita_wasting",
        "balita_gizi_buruk",
        "balita_bb_kurang",
        "balita_vit_a",
        "bayi_0_5_bln",
        "bayi_asi_eksklusif",
        "bayi_idl",
        "baduta_ibl",
        "balita_pmt",
        "balita_dirujuk",
    ),
    "kia_bulanan": (
        "bumil_sasaran",
        "bumil_k1",
        "bumil_k6",
        "bumil_ttd",
        "bumil_kek",
        "bumil_kek_pmt",
        "bumil_anemia",
        "persalinan_total",
        "persalinan_fasyankes",
        "bayi_lahir_hidup",
        "bblr",
        "nifas_kf_lengkap",
        "nifas_vit_a",
        "kematian_ibu",
        "kematian_bayi",
        "pus_sasaran",
        "pus_kb_aktif",
        "kb_pasca_persalinan",
    ),
    "remaja_ptm": (
        "rematri_sasaran",
        "rematri_dapat_ttd",
        "rematri_minum_ttd",
        "rematri_periksa_hb",
        "rematri_anemia",
        "ptm_cek_td",
        "ptm_hipertensi",
        "ptm_cek_gula",
        "ptm_gula_tinggi",
        "ptm_ukur_imt_lp",
        "ptm_obesitas",
        "ptm_obesitas_sentral",
        "ptm_merokok",
        "ptm_dirujuk",
    ),
    "literasi_bulanan": (
        "penyuluhan_sesi",
        "penyuluhan_peserta",
        "kelas_ibu_peserta",
        "kunjungan_rumah",
        "kk_phbs_dinilai",
        "kk_ber_phbs",
    ),
}
CATALOGUE_LETTER = {"posyandu_bulanan": "A", "kia_bulanan": "B", "remaja_ptm": "C", "literasi_bulanan": "D"}
OPTIONAL = {
    "posyandu_bulanan": {"balita_sangat_pendek", "balita_bb_kurang", "baduta_ibl", "balita_pmt", "balita_dirujuk"},
    "kia_bulanan": {"bumil_kek_pmt", "bayi_lahir_hidup", "nifas_vit_a", "kb_pasca_persalinan"},
    "remaja_ptm": {"ptm_dirujuk"},
    "literasi_bulanan": {"kelas_ibu_peserta", "kk_phbs_dinilai", "kk_ber_phbs"},
}
# Questions that are not catalogue indicators: follow-ups and posyandu attendance counts.
EXTRA = {
    "posyandu_bulanan": {
        "gizi_buruk_sudah_dirujuk",
        "bumil_datang_posyandu",
        "ibu_menyusui_datang",
        "remaja_datang_posyandu",
    },
    "kia_bulanan": {"kematian_ibu_catatan", "kematian_bayi_catatan"},
    "remaja_ptm": set(),
    "literasi_bulanan": set(),
}
HOUSEHOLD_IDS = (
    "persetujuan",
    "no_kk",
    "nik_kepala_keluarga",
    "nama_kepala_keluarga",
    "jenis_kelamin_kk",
    "dusun",
    "rt",
    "rw",
    "jumlah_anggota",
    "jumlah_balita",
    "jumlah_baduta",
    "jumlah_ibu_hamil",
    "jumlah_remaja_putri",
    "jumlah_lansia",
    "jumlah_disabilitas",
    "ada_pus",
    "usia_istri_pus",
    "jumlah_anak_pus",
    "jarak_kelahiran_dekat",
    "sumber_air_minum_utama",
    "fasilitas_bab",
    "jenis_kloset",
    "pembuangan_akhir_tinja",
    "sumber_penerangan_utama",
    "daya_terpasang",
    "jenis_lantai_terluas",
    "jenis_dinding_terluas",
    "jenis_atap_terluas",
    "luas_lantai_m2",
    "kategori_pendapatan",
    "desil_kesejahteraan",
    "sumber_desil",
    "tanggal_sumber_desil",
    "penerima_bansos",
)
REPORT_FORMS = tuple(CATALOGUE)
ALL_FORMS = (*REPORT_FORMS, "rumah_tangga")


@pytest.fixture(scope="module")
def forms() -> dict[str, FormSpec]:
    return load_forms(FORMS_DIR)


# --------------------------------------------------------------------------------------------
# Answer sets. CONSISTENT[form] is a realistic month (or household) where every rule holds;
# BREAK_HARD / BREAK_SOFT give, per rule, what to change so that exactly that rule is broken.
# A case is (answer overrides, prev overrides, month); None keeps the base prev/month.

CONSISTENT = {
    "posyandu_bulanan": {
        "answers": dict(
            balita_sasaran_s=52,
            balita_punya_kms_k=50,
            balita_ditimbang_d=41,
            balita_naik_n=30,
            balita_tidak_naik_t=8,
            balita_2t=2,
            balita_bgm=1,
            balita_bb_kurang=3,
            balita_diukur_tb=40,
            balita_stunting=6,
            balita_sangat_pendek=1,
            balita_wasting=3,
            balita_gizi_buruk=1,
            gizi_buruk_sudah_dirujuk=True,
            bayi_0_5_bln=8,
            bayi_asi_eksklusif=6,
            balita_vit_a=45,
            bayi_idl=2,
            baduta_ibl=1,
            balita_pmt=4,
            balita_dirujuk=3,
            bumil_datang_posyandu=5,
            ibu_menyusui_datang=9,
            remaja_datang_posyandu=12,
        ),
        "prev": dict(balita_sasaran_s=50, balita_ditimbang_d=38, balita_stunting=5, balita_diukur_tb=38),
        "month": 8,
    },
    "kia_bulanan": {
        "answers": dict(
            bumil_sasaran=18,
            bumil_k1=3,
            bumil_k6=2,
            bumil_ttd=15,
            bumil_kek=2,
            bumil_kek_pmt=2,
            bumil_anemia=3,
            persalinan_total=4,
            persalinan_fasyankes=3,
            bayi_lahir_hidup=4,
            bblr=1,
            nifas_kf_lengkap=3,
            nifas_vit_a=4,
            kematian_ibu=0,
            kematian_bayi=0,
            pus_sasaran=120,
            pus_kb_aktif=80,
            kb_pasca_persalinan=2,
        ),
        "prev": dict(bumil_sasaran=17, bumil_ttd=14, persalinan_total=5, pus_sasaran=118),
        "month": 6,
    },
    "remaja_ptm": {
        "answers": dict(
            rematri_sasaran=60,
            rematri_dapat_ttd=48,
            rematri_minum_ttd=35,
            rematri_periksa_hb=20,
            rematri_anemia=5,
            ptm_cek_td=45,
            ptm_hipertensi=9,
            ptm_cek_gula=25,
            ptm_gula_tinggi=2,
            ptm_ukur_imt_lp=40,
            ptm_obesitas=8,
            ptm_obesitas_sentral=12,
            ptm_merokok=15,
            ptm_dirujuk=4,
        ),
        "prev": dict(rematri_sasaran=58, rematri_dapat_ttd=50),
        "month": 3,
    },
    "literasi_bulanan": {
        "answers": dict(
            penyuluhan_sesi=3,
            penyuluhan_peserta=45,
            kelas_ibu_peserta=12,
            kunjungan_rumah=10,
            kk_phbs_dinilai=20,
            kk_ber_phbs=8,
        ),
        "prev": {},
        "month": 3,
    },
    "rumah_tangga": {
        "answers": dict(
            persetujuan=True,
            no_kk="3204121501250003",
            nik_kepala_keluarga="3204125506900002",
            nama_kepala_keluarga="Siti Aminah",
            jenis_kelamin_kk="p",
            dusun="Krajan",
            rt="004",
            rw="013",
            jumlah_anggota=5,
            jumlah_balita=2,
            jumlah_baduta=1,
            jumlah_ibu_hamil=1,
            jumlah_remaja_putri=1,
            jumlah_lansia=1,
            jumlah_disabilitas=0,
            ada_pus=True,
            usia_istri_pus=32,
            jumlah_anak_pus=2,
            jarak_kelahiran_dekat=True,
            sumber_air_minum_utama="sumur_terlindung",
            fasilitas_bab="sendiri",
            jenis_kloset="leher_angsa",
            pembuangan_akhir_tinja="lubang_tanah",
            sumber_penerangan_utama="pln_meteran",
            daya_terpasang="va_900",
            jenis_lantai_terluas="keramik",
            jenis_dinding_terluas="tembok",
            jenis_atap_terluas="genteng",
            luas_lantai_m2=48.0,
            kategori_pendapatan="antara_1jt_2jt",
            desil_kesejahteraan=3,
            sumber_desil="dtsen",
            tanggal_sumber_desil="2025-03-15",
            penerima_bansos=["pkh", "pbi_jk"],
        ),
        "prev": {},
        "month": None,
    },
}

BREAK_HARD = {
    "posyandu_bulanan": {
        "k_le_s": dict(balita_punya_kms_k=53),
        "d_le_s": dict(balita_ditimbang_d=53),
        "n_le_d": dict(balita_naik_n=42),
        "n_t_le_d": dict(balita_tidak_naik_t=12),  # 30 + 12 > 41, while N <= D
        "t2_le_t": dict(balita_2t=9),
        "bgm_le_d": dict(balita_bgm=42),
        "bb_kurang_le_d": dict(balita_bb_kurang=42),
        "diukur_le_s": dict(balita_diukur_tb=53),
        "stunting_le_diukur": dict(balita_stunting=41),
        "sangat_pendek_le_stunting": dict(balita_sangat_pendek=7),
        "wasting_le_diukur": dict(balita_wasting=41),
        "gizi_buruk_le_wasting": dict(balita_gizi_buruk=4),
        "bayi_0_5_le_s": dict(bayi_0_5_bln=53),
        "asi_le_bayi_0_5": dict(bayi_asi_eksklusif=9),
        "vit_a_le_s": dict(balita_vit_a=53),
    },
    "kia_bulanan": {
        "k1_le_bumil": dict(bumil_k1=19),
        "k6_le_bumil": dict(bumil_k6=19),
        "ttd_le_bumil": dict(bumil_ttd=19),
        "kek_le_bumil": dict(bumil_kek=19),
        "kek_pmt_le_kek": dict(bumil_kek_pmt=3),
        "anemia_le_bumil": dict(bumil_anemia=19),
        "fasyankes_le_persalinan": dict(persalinan_fasyankes=5),
        "bblr_le_lahir_hidup": dict(bblr=5),
        "kb_aktif_le_pus": dict(pus_kb_aktif=121),
    },
    "remaja_ptm": {
        "dapat_ttd_le_sasaran": dict(rematri_dapat_ttd=61),
        "minum_ttd_le_dapat": dict(rematri_minum_ttd=49),
        "periksa_hb_le_sasaran": dict(rematri_periksa_hb=61),
        "anemia_le_periksa_hb": dict(rematri_anemia=21),
        "hipertensi_le_cek_td": dict(ptm_hipertensi=46),
        "gula_tinggi_le_cek_gula": dict(ptm_gula_tinggi=26),
        "obesitas_le_ukur": dict(ptm_obesitas=41),
        "obesitas_sentral_le_ukur": dict(ptm_obesitas_sentral=41),
        "merokok_le_cek_td": dict(ptm_merokok=46),
    },
    "literasi_bulanan": {
        "ber_phbs_le_dinilai": dict(kk_ber_phbs=21),
    },
    "rumah_tangga": {
        "perlu_persetujuan": dict(persetujuan=False),
        "balita_le_anggota": dict(jumlah_balita=5, jumlah_remaja_putri=0, jumlah_lansia=0, jumlah_ibu_hamil=0),
        "baduta_le_balita": dict(jumlah_baduta=3),
        "ibu_hamil_le_anggota": dict(jumlah_ibu_hamil=6),
        "remaja_putri_le_anggota": dict(jumlah_remaja_putri=6),
        "lansia_le_anggota": dict(jumlah_lansia=6),
        "disabilitas_le_anggota": dict(jumlah_disabilitas=6),
        "kelompok_umur_le_anggota": dict(jumlah_balita=2, jumlah_remaja_putri=2, jumlah_lansia=2),
        "ibu_hamil_balita_le_anggota": dict(jumlah_balita=3, jumlah_ibu_hamil=3),
        "bansos_tidak_ada_sendiri": dict(penerima_bansos=["pkh", "tidak_ada"]),
    },
}

BREAK_SOFT = {
    "posyandu_bulanan": {
        "s_tidak_nol": (dict(balita_sasaran_s=0), None, None),
        "s_berubah_jauh": ({}, dict(balita_sasaran_s=40), None),  # 52 vs 40: +30%
        "d_le_k": (dict(balita_punya_kms_k=40), None, None),
        "d_dua_kali_bulan_lalu": ({}, dict(balita_ditimbang_d=20), None),  # 41 > 2 x 20
        "d_nol_bulan_lalu_banyak": (dict(balita_ditimbang_d=0), None, None),
        "diukur_le_d": (dict(balita_diukur_tb=45), None, None),
        "stunting_dua_kali_bulan_lalu": (
            dict(balita_stunting=7),
            dict(balita_stunting=3, balita_diukur_tb=40),
            None,
        ),  # 7/40 > 2 x 3/40
        "stunting_nol_bulan_lalu_banyak": (dict(balita_stunting=0), dict(balita_stunting=6), None),
        "gizi_buruk_dirujuk": (dict(gizi_buruk_sudah_dirujuk=False), None, None),
        "vit_a_di_luar_feb_agu": ({}, None, 5),
        "vit_a_nol_di_feb_agu": (dict(balita_vit_a=0), None, 2),
        "pmt_sesuai_masalah_gizi": (dict(balita_pmt=18), None, None),  # 3 + 3 + (41 - 30) = 17
        "dirujuk_ge_gizi_buruk": (dict(balita_dirujuk=0), None, None),
        "dirujuk_ge_2t": (dict(balita_dirujuk=1), None, None),
    },
    "kia_bulanan": {
        "bumil_berubah_jauh": ({}, dict(bumil_sasaran=10), None),
        "bumil_ttd_nol_bulan_lalu_banyak": (dict(bumil_ttd=0), None, None),
        "persalinan_le_bumil": (dict(persalinan_total=20), None, None),
        "lahir_hidup_ge_persalinan": (dict(bayi_lahir_hidup=3), None, None),
        "lahir_hidup_le_2x_persalinan": (dict(bayi_lahir_hidup=9), None, None),
        "kf_lengkap_le_persalinan": (dict(nifas_kf_lengkap=10), None, None),  # 4 + 5 = 9
        "nifas_vit_a_le_persalinan": (dict(nifas_vit_a=10), None, None),
        "kb_pp_le_persalinan": (dict(kb_pasca_persalinan=10), None, None),
        "kematian_ibu_konfirmasi": (dict(kematian_ibu=1, kematian_ibu_catatan="32 th, perdarahan"), None, None),
        "kematian_bayi_konfirmasi": (dict(kematian_bayi=1, kematian_bayi_catatan="3 hari, BBLR"), None, None),
        "pus_berubah_jauh": ({}, dict(pus_sasaran=90), None),
    },
    "remaja_ptm": {
        "rematri_berubah_jauh": ({}, dict(rematri_sasaran=40), None),
        "rematri_ttd_nol_bulan_lalu_banyak": (dict(rematri_dapat_ttd=0, rematri_minum_ttd=0), None, None),
        "cek_gula_le_cek_td": (dict(ptm_cek_gula=46), None, None),
        "dirujuk_ge_gula_tinggi": (dict(ptm_dirujuk=1), None, None),
    },
    "literasi_bulanan": {
        "peserta_tanpa_sesi": (dict(penyuluhan_sesi=0), None, None),
        "peserta_per_sesi_banyak": (dict(penyuluhan_peserta=601), None, None),
    },
    "rumah_tangga": {
        "anggota_banyak": (dict(jumlah_anggota=16), None, None),
        "ibu_hamil_banyak": (dict(jumlah_ibu_hamil=3, jumlah_anggota=8), None, None),
        "ibu_hamil_tanpa_pus": (
            dict(ada_pus=False, usia_istri_pus=None, jumlah_anak_pus=None, jarak_kelahiran_dekat=None),
            None,
            None,
        ),
    },
}


def scope_for(
    form_id: str, answers: dict | None = None, prev: dict | None = None, month: int | str | None = "base"
) -> Scope:
    base = CONSISTENT[form_id]
    merged = {**base["answers"], **(answers or {})}
    return Scope(
        answers=merged, prev={**base["prev"], **(prev or {})}, month=base["month"] if month == "base" else month
    )


def rule(form: FormSpec, rule_id: str):
    return next(r for r in form.rules if r.id == rule_id)


def derived_values(form: FormSpec, scope: Scope) -> dict[str, float | None]:
    """Each derived value in order; a formula may use derived values defined before it."""
    values, result = dict(scope.answers), {}
    for derived in form.derived:
        result[derived.id] = value_of(derived.formula, Scope(values, scope.prev, scope.month))
        values[derived.id] = result[derived.id]
    return result


# --------------------------------------------------------------------------------------------
# Loading, ids, conventions


def test_every_shipped_form_loads(forms):
    assert set(forms) == set(ALL_FORMS)
    for path in sorted(FORMS_DIR.glob("*.yaml")):
        assert load_form(path).id == path.stem, "a form file is named after its form id"


@pytest.mark.parametrize("form_id", REPORT_FORMS)
def test_question_ids_are_the_catalogue_ids(forms, form_id):
    ids = [q.id for q in forms[form_id].questions]
    assert set(ids) == set(CATALOGUE[form_id]) | EXTRA[form_id]
    assert not EXTRA[form_id] & {i for ids_ in CATALOGUE.values() for i in ids_}


@pytest.mark.parametrize("form_id", REPORT_FORMS)
def test_only_catalogue_optional_indicators_may_be_skipped(forms, form_id):
    assert {q.id for q in forms[form_id].questions if not q.required} == OPTIONAL[form_id]


@pytest.mark.skipif(not INDICATORS_MD.exists(), reason="indicator reference not available")
@pytest.mark.parametrize("form_id", REPORT_FORMS)
def test_ids_units_and_optional_flags_agree_with_the_reference(forms, form_id):
    text = INDICATORS_MD.read_text(encoding="utf-8")
    letter = CATALOGUE_LETTER[form_id]
    block = re.search(rf"### Form {letter}:.*?\n```yaml\n(.*?)```", text, re.S)
    assert block, f"Form {letter} not found in the reference"
    reference = yaml.safe_load(block.group(1))
    assert tuple(item["id"] for item in reference) == CATALOGUE[form_id]
    assert {item["id"] for item in reference if item.get("optional")} == OPTIONAL[form_id]
    form = forms[form_id]
    for item in reference:
        question = form.question(item["id"])
        assert question.type is QuestionType(item["type"]), item["id"]
        assert question.unit == item["unit"], item["id"]


def test_household_fields(forms):
    form = forms["rumah_tangga"]
    assert tuple(q.id for q in form.questions) == HOUSEHOLD_IDS
    assert form.questions[0].id == "persetujuan" and form.questions[0].type is QuestionType.YESNO
    for qid, fmt in (("no_kk", "kk"), ("nik_kepala_keluarga", "nik"), ("nama_kepala_keluarga", "name")):
        question = form.question(qid)
        assert question.type is QuestionType.TEXT and question.format == fmt and question.sensitive
    assert form.question("rt").format == form.question("rw").format == "rtrw"
    assert not form.question("dusun").required and not form.question("desil_kesejahteraan").required
    assert [o.id for o in form.question("jenis_kelamin_kk").options] == ["l", "p"]
    assert [o.id for o in form.question("penerima_bansos").options] == [
        "pkh",
        "bpnt",
        "pbi_jk",
        "blt_dd",
        "lainnya",
        "tidak_ada",
    ]
    assert form.question("penerima_bansos").type is QuestionType.MULTICHOICE
    desil = form.question("desil_kesejahteraan")
    assert (desil.type, desil.min, desil.max) == (QuestionType.COUNT, 1, 10)
    members = form.question("jumlah_anggota")
    assert members.lower == 1
    luas = form.question("luas_lantai_m2")
    assert luas.type is QuestionType.MEASURE and luas.unit == "m2"
    # the water source options follow the official code order 1..9, then "lainnya" (99)
    assert [o.id for o in form.question("sumber_air_minum_utama").options] == [
        "kemasan",
        "leding",
        "sumur_bor",
        "sumur_terlindung",
        "sumur_tak_terlindung",
        "mata_air_terlindung",
        "mata_air_tak_terlindung",
        "air_permukaan",
        "air_hujan",
        "lainnya",
    ]


def test_only_identity_fields_and_death_notes_are_sensitive(forms):
    sensitive = {(f.id, q.id) for f in forms.values() for q in f.questions if q.sensitive}
    assert sensitive == {
        ("rumah_tangga", "no_kk"),
        ("rumah_tangga", "nik_kepala_keluarga"),
        ("rumah_tangga", "nama_kepala_keluarga"),
        ("kia_bulanan", "kematian_ibu_catatan"),
        ("kia_bulanan", "kematian_bayi_catatan"),
    }


def test_ids_are_unique_across_forms(forms):
    """Exports key indicators by id alone, so a question or derived id belongs to one form."""
    seen: dict[str, str] = {}
    for form in forms.values():
        for item_id in [q.id for q in form.questions] + [d.id for d in form.derived]:
            assert item_id not in seen, f"{item_id} is in {seen.get(item_id)} and {form.id}"
            seen[item_id] = form.id


def test_schedules_and_roles(forms):
    roles = {
        "posyandu_bulanan": (Role.KADER,),
        "kia_bulanan": (Role.BIDAN,),
        "remaja_ptm": (Role.KADER, Role.BIDAN),
        "literasi_bulanan": (Role.KADER,),
        "rumah_tangga": (Role.KADER, Role.BIDAN),
    }
    for form_id, expected in roles.items():
        assert forms[form_id].roles == expected
    for form_id in REPORT_FORMS:
        form = forms[form_id]
        assert (form.kind, form.period, form.open_day, form.due_day, form.lock_day) == ("report", "monthly", 1, 5, 15)
        assert form.reminders.days_before_due == (3, 1, 0) and form.reminders.time == "08:00"
    household = forms["rumah_tangga"]
    assert (household.kind, household.open_day, household.due_day, household.lock_day) == ("household", 1, 28, 28)
    assert household.reminders.days_before_due == ()


def test_denominators_are_asked_first(forms):
    order = [q.id for q in forms["posyandu_bulanan"].questions]
    sequence = [
        "balita_sasaran_s",
        "balita_punya_kms_k",
        "balita_ditimbang_d",
        "balita_naik_n",
        "balita_tidak_naik_t",
        "balita_2t",
        "balita_bgm",
        "balita_diukur_tb",
        "balita_stunting",
        "balita_wasting",
    ]
    assert [order.index(i) for i in sequence] == sorted(order.index(i) for i in sequence)
    assert order[:2] == ["balita_sasaran_s", "balita_punya_kms_k"]
    assert forms["kia_bulanan"].questions[0].id == "bumil_sasaran"
    assert forms["remaja_ptm"].questions[0].id == "rematri_sasaran"


def test_key_questions_and_indicators(forms):
    key_questions = {f.id: {q.id for q in f.questions if q.key} for f in forms.values()}
    assert {"balita_sasaran_s", "balita_ditimbang_d", "balita_naik_n"} <= key_questions["posyandu_bulanan"]
    key_derived = {f.id: {d.id for d in f.derived if d.key} for f in forms.values()}
    assert key_derived["posyandu_bulanan"] == {"partisipasi_d_s", "keberhasilan_n_d", "persen_stunting"}
    assert key_derived["kia_bulanan"] == {"cakupan_k6", "persen_persalinan_faskes"}
    assert key_derived["remaja_ptm"] == {"cakupan_skrining_hb", "persen_rematri_anemia"}
    assert not any(q.key and q.sensitive for f in forms.values() for q in f.questions), (
        "a headline figure is shown in receipts, so it must not be personal data"
    )


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_every_question_is_short_bilingual_and_numeric_ones_have_an_example(forms, form_id):
    for question in forms[form_id].questions:
        where = f"{form_id}.{question.id}"
        for text in (question.label.id, question.label.en):
            assert text.strip() and len(text) <= 120, where
        if question.help:
            assert question.help.id.strip() and question.help.en.strip(), where
        if question.type in (QuestionType.COUNT, QuestionType.MEASURE):
            assert question.label.id.endswith("?") and question.label.en.endswith("?"), where
            assert question.help is not None, where
            assert question.unit or (form_id == "rumah_tangga" and question.id == "desil_kesejahteraan"), where
            assert question.example, where
            value = float(question.example.replace(",", "."))
            assert value >= (question.lower or 0), where
            assert question.max is None or value <= question.max, where
            if question.type is QuestionType.COUNT:
                assert value.is_integer(), where
        if question.type in (QuestionType.CHOICE, QuestionType.MULTICHOICE):
            for option in question.options:
                assert option.label.id.strip() and option.label.en.strip(), where


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_ids_are_snake_case_and_short(forms, form_id):
    form = forms[form_id]
    ids = (
        [form.id]
        + [s.id for s in form.sections]
        + [q.id for q in form.questions]
        + [r.id for r in form.rules]
        + [d.id for d in form.derived]
    )
    for item_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,39}", item_id), item_id
    assert len({r.id for r in form.rules}) == len(form.rules)
    assert len({d.id for d in form.derived}) == len(form.derived)
    assert not {d.id for d in form.derived} & {q.id for q in form.questions}


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_relevant_only_refers_to_earlier_questions(forms, form_id):
    form = forms[form_id]
    earlier: set[str] = set()
    for question in form.questions:
        if question.relevant:
            expression = compile_expression(question.relevant)
            assert expression.names <= earlier, f"{question.id}: {expression.names - earlier}"
            assert not expression.prev_names, question.id
        earlier.add(question.id)


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_rules_never_divide(forms, form_id):
    """`holds` turns a missing answer into 'not decided' but not a division by zero: rules multiply."""
    for r in forms[form_id].rules:
        tree = compile_expression(r.check).tree
        assert not any(isinstance(node, (ast.Div, ast.FloorDiv, ast.Mod)) for node in ast.walk(tree)), r.id


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_rule_messages_are_bilingual_and_soft_ones_ask(forms, form_id):
    for r in forms[form_id].rules:
        assert r.message.id.strip() and r.message.en.strip(), r.id
        if r.kind == "soft":
            assert r.message.id.endswith("?") and r.message.en.endswith("?"), r.id


# --------------------------------------------------------------------------------------------
# Rules on answer sets


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_every_rule_holds_on_a_consistent_answer_set(forms, form_id):
    scope = scope_for(form_id)
    for r in forms[form_id].rules:
        assert holds(r.check, scope) is True, f"{form_id}: {r.id} should hold"


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_every_hard_rule_fails_on_an_inconsistent_answer_set(forms, form_id):
    form = forms[form_id]
    hard = {r.id for r in form.rules if r.kind == "hard"}
    assert set(BREAK_HARD[form_id]) == hard, "every hard rule needs an inconsistent example"
    for rule_id, overrides in BREAK_HARD[form_id].items():
        assert holds(rule(form, rule_id).check, scope_for(form_id, overrides)) is False, rule_id


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_every_soft_rule_warns_on_an_unusual_answer_set(forms, form_id):
    form = forms[form_id]
    soft = {r.id for r in form.rules if r.kind == "soft"}
    assert set(BREAK_SOFT[form_id]) == soft, "every soft rule needs an unusual example"
    for rule_id, (answers, prev, month) in BREAK_SOFT[form_id].items():
        scope = scope_for(form_id, answers, prev, "base" if month is None else month)
        assert holds(rule(form, rule_id).check, scope) is False, rule_id


def test_hard_rules_do_not_fire_while_an_input_is_missing(forms):
    form = forms["posyandu_bulanan"]
    only_s = Scope(answers={"balita_sasaran_s": 52})
    assert all(holds(r.check, only_s) is not False for r in form.rules if r.kind == "hard")
    skipped = scope_for("posyandu_bulanan", {"balita_bb_kurang": None, "balita_sangat_pendek": None})
    assert holds(rule(form, "bb_kurang_le_d").check, skipped) is None
    assert holds(rule(form, "sangat_pendek_le_stunting").check, skipped) is None


def test_rules_against_last_month_are_quiet_without_history(forms):
    for form_id in REPORT_FORMS:
        scope = Scope(answers=CONSISTENT[form_id]["answers"], prev={}, month=CONSISTENT[form_id]["month"])
        for r in forms[form_id].rules:
            if compile_expression(r.check).prev_names:
                assert holds(r.check, scope) is not False, f"{form_id}: {r.id}"


def test_small_numbers_do_not_trigger_the_doubling_warnings(forms):
    form = forms["posyandu_bulanan"]
    scope = scope_for("posyandu_bulanan", dict(balita_ditimbang_d=9), dict(balita_ditimbang_d=4))
    assert holds(rule(form, "d_dua_kali_bulan_lalu").check, scope) is True
    # more stunted children because many more were measured (Feb/Aug) is not a doubled share:
    # 3 of 10 last month (30%), 8 of 40 now (20%)
    scope = scope_for(
        "posyandu_bulanan", dict(balita_stunting=8, balita_diukur_tb=40), dict(balita_stunting=3, balita_diukur_tb=10)
    )
    assert holds(rule(form, "stunting_dua_kali_bulan_lalu").check, scope) is True
    # no stunting when (almost) nobody was measured this month is not suspicious
    scope = scope_for(
        "posyandu_bulanan", dict(balita_stunting=0, balita_diukur_tb=3), dict(balita_stunting=6, balita_diukur_tb=40)
    )
    assert holds(rule(form, "stunting_nol_bulan_lalu_banyak").check, scope) is True


def test_post_partum_family_planning_without_history_compares_with_this_month(forms):
    form = forms["kia_bulanan"]
    check = rule(form, "kb_pp_le_persalinan").check
    assert holds(check, Scope({"kb_pasca_persalinan": 3, "persalinan_total": 4})) is True
    assert holds(check, Scope({"kb_pasca_persalinan": 5, "persalinan_total": 4})) is False
    assert holds(check, Scope({"kb_pasca_persalinan": 5, "persalinan_total": 4}, prev={"persalinan_total": 3})) is True


# --------------------------------------------------------------------------------------------
# Skip logic


def relevant(form: FormSpec, question_id: str, answers: dict, month: int | None = None) -> bool:
    question = form.question(question_id)
    return question.relevant is None or holds(question.relevant, Scope(answers, month=month)) is True


def test_follow_up_questions(forms):
    posyandu, kia = forms["posyandu_bulanan"], forms["kia_bulanan"]
    assert relevant(posyandu, "gizi_buruk_sudah_dirujuk", {"balita_gizi_buruk": 1})
    assert not relevant(posyandu, "gizi_buruk_sudah_dirujuk", {"balita_gizi_buruk": 0})
    for count, note in (("kematian_ibu", "kematian_ibu_catatan"), ("kematian_bayi", "kematian_bayi_catatan")):
        assert relevant(kia, note, {count: 1})
        assert not relevant(kia, note, {count: 0})
        question = kia.question(note)
        assert question.type is QuestionType.TEXT and question.required and question.max_length >= 300


def test_household_skip_logic(forms):
    form = forms["rumah_tangga"]
    for qid in ("jenis_kloset", "pembuangan_akhir_tinja"):
        assert relevant(form, qid, {"fasilitas_bab": "sendiri"})
        assert relevant(form, qid, {"fasilitas_bab": "umum"})
        assert not relevant(form, qid, {"fasilitas_bab": "tidak_ada"})
    assert relevant(form, "daya_terpasang", {"sumber_penerangan_utama": "pln_meteran"})
    assert not relevant(form, "daya_terpasang", {"sumber_penerangan_utama": "bukan_listrik"})
    for qid in ("usia_istri_pus", "jumlah_anak_pus"):
        assert relevant(form, qid, {"ada_pus": True})
        assert not relevant(form, qid, {"ada_pus": False})
    assert relevant(form, "jarak_kelahiran_dekat", {"ada_pus": True, "jumlah_anak_pus": 2})
    assert not relevant(form, "jarak_kelahiran_dekat", {"ada_pus": True, "jumlah_anak_pus": 1})
    assert not relevant(form, "jarak_kelahiran_dekat", {"ada_pus": False, "jumlah_anak_pus": None})
    for qid in ("sumber_desil", "tanggal_sumber_desil"):
        assert relevant(form, qid, {"desil_kesejahteraan": 3})
        assert not relevant(form, qid, {"desil_kesejahteraan": None})
    usia = form.question("usia_istri_pus")
    assert (usia.min, usia.max) == (15, 49)


def test_literacy_skip_logic(forms):
    form = forms["literasi_bulanan"]
    assert relevant(form, "kk_ber_phbs", {"kk_phbs_dinilai": 20})
    assert not relevant(form, "kk_ber_phbs", {"kk_phbs_dinilai": 0})
    assert not relevant(form, "kk_ber_phbs", {"kk_phbs_dinilai": None})


# --------------------------------------------------------------------------------------------
# Derived indicators, hand-computed

EXPECTED_DERIVED = {
    "posyandu_bulanan": {
        "cakupan_k_s": 50 / 52,
        "partisipasi_d_s": 41 / 52,
        "kelangsungan_d_k": 41 / 50,
        "keberhasilan_n_d": 30 / 41,
        "keberhasilan_n_s": 30 / 52,
        "persen_tidak_naik": 8 / 41,
        "persen_bgm": 1 / 41,
        "persen_bb_kurang": 3 / 41,
        "cakupan_ukur_tb": 40 / 52,
        "persen_stunting": 6 / 40,
        "persen_wasting": 3 / 40,
        "persen_asi_eksklusif": 6 / 8,
        "cakupan_vit_a": 45 / 52,
    },
    "kia_bulanan": {
        "cakupan_k1": 3 / 18,
        "cakupan_k6": 2 / 18,
        "cakupan_ttd_bumil": 15 / 18,
        "persen_bumil_kek": 2 / 18,
        "cakupan_pmt_bumil_kek": 1.0,
        "persen_bumil_anemia": 3 / 18,
        "persen_persalinan_faskes": 0.75,
        "persen_bblr": 0.25,
        "persen_kb_aktif": 80 / 120,
    },
    "remaja_ptm": {
        "cakupan_ttd_rematri": 0.8,
        "kepatuhan_ttd_rematri": 35 / 48,
        "cakupan_skrining_hb": 20 / 60,
        "persen_rematri_anemia": 0.25,
        "persen_hipertensi": 0.2,
        "persen_gula_tinggi": 0.08,
        "persen_obesitas": 0.2,
        "persen_obesitas_sentral": 0.3,
        "persen_merokok": 15 / 45,
    },
    "literasi_bulanan": {"rata_peserta_per_sesi": 15.0, "persen_kk_phbs": 0.4},
    "rumah_tangga": {
        "luas_lantai_per_kapita": 9.6,
        "air_minum_layak": 1.0,
        "jamban_layak": 0.0,
        "sanitasi_layak": 1.0,
        "rumah_layak_huni": 1.0,
        "keluarga_sasaran": 1.0,
        "pus_4_terlalu": 1.0,
        "keluarga_berisiko_stunting": 1.0,
    },
}


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_derived_values_on_the_hand_computed_example(forms, form_id):
    form = forms[form_id]
    values = derived_values(form, scope_for(form_id))
    assert set(values) == set(EXPECTED_DERIVED[form_id])
    for derived_id, expected in EXPECTED_DERIVED[form_id].items():
        assert values[derived_id] == pytest.approx(expected), derived_id


def test_the_headline_examples(forms):
    values = derived_values(forms["posyandu_bulanan"], scope_for("posyandu_bulanan"))
    assert round(values["partisipasi_d_s"] * 100, 1) == 78.8
    assert round(values["keberhasilan_n_d"] * 100, 1) == 73.2
    assert values["persen_stunting"] == pytest.approx(0.15)


@pytest.mark.parametrize("form_id", REPORT_FORMS)
def test_rates_are_fractions_with_no_value_on_a_zero_denominator(forms, form_id):
    form = forms[form_id]
    zeros = Scope({q.id: 0 for q in form.questions if q.type is QuestionType.COUNT})
    for derived in form.derived:
        assert value_of(derived.formula, zeros) is None, derived.id
        if derived.format == "percent":
            assert 0 <= derived_values(form, scope_for(form_id))[derived.id] <= 1, derived.id


def test_rates_wait_for_their_inputs(forms):
    form = forms["posyandu_bulanan"]
    values = derived_values(form, Scope({"balita_sasaran_s": 52, "balita_ditimbang_d": 41}))
    assert values["partisipasi_d_s"] == pytest.approx(41 / 52)
    assert values["keberhasilan_n_d"] is None


def household(**changes):
    return scope_for("rumah_tangga", changes)


def test_household_flags(forms):
    form = forms["rumah_tangga"]
    # all good: decent water and toilet, a couple without a '4 too' risk (one child, so no spacing answer)
    good = derived_values(
        form,
        household(
            sumber_air_minum_utama="leding",
            pembuangan_akhir_tinja="tangki_septik",
            usia_istri_pus=25,
            jumlah_anak_pus=1,
            jarak_kelahiran_dekat=None,
        ),
    )
    assert (
        good["air_minum_layak"],
        good["jamban_layak"],
        good["pus_4_terlalu"],
        good["keluarga_berisiko_stunting"],
    ) == (1.0, 1.0, 0.0, 0.0)
    # no toilet: closet and disposal are skipped, the family is at risk
    no_toilet = derived_values(
        form,
        household(
            sumber_air_minum_utama="kemasan",
            fasilitas_bab="tidak_ada",
            jenis_kloset=None,
            pembuangan_akhir_tinja=None,
            usia_istri_pus=25,
            jumlah_anak_pus=1,
            jarak_kelahiran_dekat=None,
        ),
    )
    assert (no_toilet["jamban_layak"], no_toilet["sanitasi_layak"], no_toilet["keluarga_berisiko_stunting"]) == (
        0.0,
        0.0,
        1.0,
    )
    # unsafe water alone makes a target family at risk
    river = derived_values(
        form,
        household(
            sumber_air_minum_utama="air_permukaan",
            pembuangan_akhir_tinja="tangki_septik",
            usia_istri_pus=25,
            jumlah_anak_pus=1,
            jarak_kelahiran_dekat=None,
        ),
    )
    assert (river["air_minum_layak"], river["keluarga_berisiko_stunting"]) == (0.0, 1.0)
    # a young wife is a '4 too' risk
    assert derived_values(form, household(usia_istri_pus=19))["pus_4_terlalu"] == 1.0
    assert (
        derived_values(form, household(jumlah_anak_pus=4, jarak_kelahiran_dekat=False, usia_istri_pus=30))[
            "pus_4_terlalu"
        ]
        == 1.0
    )
    # not a target family (no couple, no pregnancy, no under-five): never 'at risk'
    elderly = derived_values(
        form,
        household(
            jumlah_anggota=2,
            jumlah_balita=0,
            jumlah_baduta=0,
            jumlah_ibu_hamil=0,
            jumlah_remaja_putri=0,
            ada_pus=False,
            usia_istri_pus=None,
            jumlah_anak_pus=None,
            jarak_kelahiran_dekat=None,
            fasilitas_bab="tidak_ada",
            jenis_kloset=None,
            pembuangan_akhir_tinja=None,
        ),
    )
    assert (elderly["keluarga_sasaran"], elderly["pus_4_terlalu"], elderly["keluarga_berisiko_stunting"]) == (
        0.0,
        0.0,
        0.0,
    )
    # crowded: 5 people on 30 m2 is 6 m2 each, not decent housing
    crowded = derived_values(form, household(luas_lantai_m2=30.0))
    assert crowded["luas_lantai_per_kapita"] == pytest.approx(6.0)
    assert crowded["rumah_layak_huni"] == 0.0
    assert derived_values(form, household(jenis_lantai_terluas="tanah"))["rumah_layak_huni"] == 0.0


def test_household_rule_on_social_assistance(forms):
    check = rule(forms["rumah_tangga"], "bansos_tidak_ada_sendiri").check
    assert holds(check, Scope({"penerima_bansos": ["tidak_ada"]})) is True
    assert holds(check, Scope({"penerima_bansos": ["pkh", "blt_dd"]})) is True
    assert holds(check, Scope({"penerima_bansos": ["bpnt", "tidak_ada"]})) is False
    assert holds(check, Scope({})) is None


def test_household_without_consent_is_refused(forms):
    check = rule(forms["rumah_tangga"], "perlu_persetujuan").check
    assert holds(check, Scope({"persetujuan": True})) is True
    assert holds(check, Scope({"persetujuan": False})) is False
