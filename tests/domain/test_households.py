"""Households, pure: access per role, tolerant names, soft identity checks, indicators by hand."""

from domain.households import (
    identity_visible,
    last4,
    may_edit,
    may_open,
    may_see_household_list,
    name_score,
    nik_is_female,
    outside_regency,
    search_names,
    state_at,
    village_indicators,
)
from domain.models import ScopeEntry, User
from domain.roles import Role
from tests.support.households import household_form

VILLAGE, OTHER = "32.04.12.2001", "32.04.12.2002"


def user(role, area=VILLAGE, full_access=False, posyandu=None):
    scope = () if role is Role.ADMIN else (ScopeEntry(area_code=area, posyandu_id=posyandu),)
    return User(telegram_id=1, name="x", role=role, scope=scope, full_access=full_access)


def test_access_per_role():
    kader, bidan = user(Role.KADER, posyandu=1), user(Role.BIDAN)
    admin, perangkat = user(Role.ADMIN), user(Role.PERANGKAT_DESA)
    coordinator, trusted = user(Role.KOORDINATOR, "32.04"), user(Role.KOORDINATOR, "32.04", full_access=True)
    outsider = user(Role.KOORDINATOR, "53.71", full_access=True)
    for person in (kader, bidan, admin):
        assert may_open(person, VILLAGE) and may_edit(person, VILLAGE) and identity_visible(person, VILLAGE)
    for person in (kader, bidan):
        assert not may_open(person, OTHER) and not identity_visible(person, OTHER)
    assert may_open(coordinator, VILLAGE) and not may_edit(coordinator, VILLAGE)
    assert not identity_visible(coordinator, VILLAGE) and identity_visible(trusted, VILLAGE)
    assert not may_edit(trusted, VILLAGE)
    assert not may_open(outsider, VILLAGE) and not identity_visible(outsider, VILLAGE)
    assert not may_open(perangkat, VILLAGE) and not identity_visible(perangkat, VILLAGE)
    assert may_see_household_list(None) and may_see_household_list(coordinator)
    assert not may_see_household_list(perangkat) and not may_see_household_list(kader)
    assert last4("3204121503180007") == "…0007" and last4(None) == "—"


def test_tolerant_names():
    people = [(1, "Muhammad Ridwan"), (2, "Siti Aminah"), (3, "Budi Santoso"), (4, "Ni Luh Putu Ayu")]
    assert search_names("muhamad ridwan", people) == [1]
    assert search_names("santosa", people) == [3]
    assert search_names("BUDI", people) == [3]
    assert search_names("aminah siti", people) == [2]
    assert search_names("putu", people) == [4]
    assert search_names("Joko", people) == []
    assert name_score("  Budi   Santoso.", "budi santoso") == 1.0


def test_identity_soft_checks():
    assert not outside_regency("3204121503180007", VILLAGE)
    assert outside_regency("3273011503180009", VILLAGE)  # Kota Bandung vs Kabupaten Bandung
    assert nik_is_female("3204125508850004") and not nik_is_female("3204121508850003")


def test_state_at_picks_the_last_version_by_the_cutoff():
    versions = [
        {"version": 1, "saved_at": "2026-09-10T01:00:00+00:00"},
        {"version": 2, "saved_at": "2026-10-31T16:59:59+00:00"},
        {"version": 3, "saved_at": "2026-11-02T00:00:00+00:00"},
    ]
    assert state_at(versions, "2026-08-31T16:59:59+00:00") is None
    assert state_at(versions, "2026-10-31T16:59:59+00:00")["version"] == 2
    assert state_at(versions, "2026-11-30T16:59:59+00:00")["version"] == 3


def test_indicators_by_hand():
    form = household_form()
    base = {
        "jumlah_anggota": 4,
        "jumlah_balita": 1,
        "jumlah_ibu_hamil": 0,
        "ada_pus": True,
        "usia_istri_pus": 28,
        "jumlah_anak_pus": 2,
        "jarak_kelahiran_dekat": False,
        "fasilitas_bab": "sendiri",
        "jenis_kloset": "leher_angsa",
        "pembuangan_akhir_tinja": "tangki_septik",
    }
    households = [
        # poor, safe water, proper sanitation, not at risk, PKH + PBI
        {**base, "desil_kesejahteraan": 2, "sumber_air_minum_utama": "leding", "penerima_bansos": ["pkh", "pbi_jk"]},
        # decile 5, river water -> at risk of stunting, BLT-DD
        {**base, "desil_kesejahteraan": 5, "sumber_air_minum_utama": "air_permukaan", "penerima_bansos": ["blt_dd"]},
        # no decile, well water, no toilet -> at risk; no assistance
        {
            **base,
            "desil_kesejahteraan": None,
            "sumber_air_minum_utama": "sumur_terlindung",
            "fasilitas_bab": "tidak_ada",
            "jenis_kloset": None,
            "pembuangan_akhir_tinja": None,
            "penerima_bansos": ["tidak_ada"],
        },
        # decile 4, bottled water, septic but a pit latrine (not proper sanitation), no target family members
        {
            **base,
            "desil_kesejahteraan": 4,
            "sumber_air_minum_utama": "kemasan",
            "jenis_kloset": "cemplung",
            "jumlah_balita": 0,
            "ada_pus": False,
            "usia_istri_pus": None,
            "jumlah_anak_pus": None,
            "jarak_kelahiran_dekat": None,
            "penerima_bansos": ["pkh"],
        },
    ]
    result = village_indicators(form, households)
    assert result["rt_jumlah"] == 4
    assert (result["rt_miskin"], result["rt_miskin_pct"]) == (2, 0.5)
    assert result["rt_tanpa_desil"] == 1
    assert (result["rt_air_layak"], result["rt_air_layak_pct"]) == (3, 0.75)
    assert (result["rt_sanitasi_layak"], result["rt_sanitasi_layak_pct"]) == (2, 0.5)
    assert (result["rt_krs"], result["rt_krs_pct"]) == (2, 0.5)
    assert (result["rt_pkh"], result["rt_pbi_jk"], result["rt_blt_dd"], result["rt_bpnt"]) == (2, 1, 1, 0)
    assert result["rt_tanpa_bansos"] == 1
    empty = village_indicators(form, [])
    assert empty["rt_jumlah"] == 0 and empty["rt_miskin_pct"] is None
