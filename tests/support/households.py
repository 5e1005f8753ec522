"""Household test data: a valid record and a way to store it without the chat."""

from functools import cache

from domain.forms import FormSpec, load_forms
from domain.households import sensitive_ids
from runtime.settings import REPO_DIR

VILLAGE = "32.04.12.2001"
KEY = "0kTyZpzmJtb8GMHL0-M4WkkbKgjT0SGqF1OkjnPq7Ok"  # made by `households new-key`
KK = "3204121503180007"
NIK = "3204121508850003"  # born 15-08-1985, male
NAME = "Budi Santoso"


@cache
def household_form() -> FormSpec:
    return load_forms(REPO_DIR / "forms")["rumah_tangga"]


def full_answers(kk=KK, nik=NIK, name=NAME, **changes):
    answers = {
        "persetujuan": True,
        "no_kk": kk,
        "nik_kepala_keluarga": nik,
        "nama_kepala_keluarga": name,
        "jenis_kelamin_kk": "l",
        "dusun": "Krajan",
        "rt": "004",
        "rw": "013",
        "jumlah_anggota": 4,
        "jumlah_balita": 1,
        "jumlah_baduta": 1,
        "jumlah_ibu_hamil": 0,
        "jumlah_remaja_putri": 1,
        "jumlah_lansia": 0,
        "jumlah_disabilitas": 0,
        "ada_pus": True,
        "usia_istri_pus": 28,
        "jumlah_anak_pus": 2,
        "jarak_kelahiran_dekat": False,
        "sumber_air_minum_utama": "leding",
        "fasilitas_bab": "sendiri",
        "jenis_kloset": "leher_angsa",
        "pembuangan_akhir_tinja": "tangki_septik",
        "sumber_penerangan_utama": "pln_meteran",
        "daya_terpasang": "va_900",
        "jenis_lantai_terluas": "keramik",
        "jenis_dinding_terluas": "tembok",
        "jenis_atap_terluas": "genteng",
        "luas_lantai_m2": 48.0,
        "kategori_pendapatan": "antara_1jt_2jt",
        "desil_kesejahteraan": 3,
        "sumber_desil": "dtsen",
        "tanggal_sumber_desil": None,
        "penerima_bansos": ["pkh"],
    }
    return {**answers, **changes}


async def store_household(storage, user_id, village=VILLAGE, **changes):
    """A household saved directly through storage, as if entered in the chat."""
    form = household_form()
    user = await storage.users.get(user_id)
    draft = await storage.households.open_draft(user_id, village, None)
    return await storage.households.save(draft, user, full_answers(**changes), sensitive_ids(form))
