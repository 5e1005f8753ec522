"""Households: who may see what, tolerant name search, soft identity checks and the village
indicators computed from household records. Pure: no Telegram, no SQL, no keys.

The record itself is the `rumah_tangga` form (forms/rumah_tangga.yaml); its sensitive questions
(KK number, head's NIK and name) are encrypted at rest by the storage layer.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from domain import formflow
from domain.forms import FormSpec
from domain.models import User
from domain.roles import Role

KK_QUESTION, NIK_QUESTION, NAME_QUESTION = "no_kk", "nik_kepala_keluarga", "nama_kepala_keluarga"
SEX_QUESTION = "jenis_kelamin_kk"
LOCATION_KEY = "_lokasi"  # a shared Telegram location, kept with the draft beside the answers
PAGE_SIZE = 8


class Status(StrEnum):
    ACTIVE = "active"
    MOVED = "moved"
    DISSOLVED = "dissolved"


# -- who may do what ----------------------------------------------------------------------------
def may_open(user: User, village_code: str) -> bool:
    """Find and look at the village's households (identity shown or not: see identity_visible)."""
    if user.is_admin:
        return True
    if user.role in (Role.KADER, Role.BIDAN):
        return user.home_village == village_code
    return user.role is Role.KOORDINATOR and user.covers_village(village_code)


def may_edit(user: User, village_code: str) -> bool:
    """Add and change households: the village's cadres and midwife, and admins."""
    return user.is_admin or (user.role in (Role.KADER, Role.BIDAN) and user.home_village == village_code)


def identity_visible(user: User, village_code: str) -> bool:
    """NIK, KK number and names: the village's cadres and midwife, admins, and coordinators an
    admin granted full access to (for villages in their scope)."""
    if may_edit(user, village_code):
        return True
    return user.role is Role.KOORDINATOR and user.full_access and user.covers_village(village_code)


def may_see_household_list(user: User | None) -> bool:
    """The pseudonymous household list in exports: admins, coordinators and the command line
    (None); village officials get the aggregates only."""
    return user is None or user.role in (Role.ADMIN, Role.KOORDINATOR)


def last4(number: str | None) -> str:
    return f"…{number[-4:]}" if number and len(number) >= 4 else "—"


def sensitive_ids(form: FormSpec) -> frozenset[str]:
    return frozenset(q.id for q in form.questions if q.sensitive)


# -- soft identity checks -----------------------------------------------------------------------
def outside_regency(number: str, village_code: str) -> bool:
    """A NIK or KK first registered in another regency (PP.KK): possible, so a warning only."""
    return len(number) == 16 and f"{number[:2]}.{number[2:4]}" != village_code[:5]


def nik_is_female(nik: str) -> bool:
    return len(nik) == 16 and int(nik[6:8]) > 40


def location_ok(latitude: float, longitude: float) -> bool:
    """Inside Indonesia's box (household.md §2.1: lat −11..6, lon 95..141)."""
    return -11 <= latitude <= 6 and 95 <= longitude <= 141


# -- tolerant name search -----------------------------------------------------------------------
def normalise_name(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z ]+", " ", text).split())


def name_score(query: str, name: str) -> float:
    """0..1: how well ``query`` matches ``name``, tolerant of typos, missing or extra words and
    spelling variants (Muhamad / Muhammad). Each query word is matched to its best name word."""
    q, n = normalise_name(query), normalise_name(name)
    if not q or not n:
        return 0.0
    whole = difflib.SequenceMatcher(None, q, n).ratio()
    words = n.split()
    per_word = [max(_word_score(w, v) for v in words) for w in q.split()]
    return max(whole, sum(per_word) / len(per_word))


def _word_score(word: str, candidate: str) -> float:
    if candidate.startswith(word) and len(word) >= 3:
        return 0.95
    return difflib.SequenceMatcher(None, word, candidate).ratio()


K = TypeVar("K")  # what identifies a candidate name (a household id)


def search_names(
    query: str, candidates: Iterable[tuple[K, str | None]], limit: int = PAGE_SIZE, threshold: float = 0.75
) -> list[K]:
    """The keys of the best-matching names, best first (a candidate without a name never matches)."""
    scored = [(name_score(query, name), key) for key, name in candidates if name]
    scored = [(s, k) for s, k in scored if s >= threshold]
    scored.sort(key=lambda item: -item[0])
    return [k for _, k in scored[:limit]]


# -- village indicators -------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorDef:
    id: str
    label: tuple[str, str]  # (id, en)
    unit: str
    share: bool = False
    definition: tuple[str, str] = ("", "")


_ASSISTANCE = (
    ("pkh", "PKH", "PKH"),
    ("bpnt", "BPNT/Sembako", "BPNT/food assistance"),
    ("pbi_jk", "PBI-JK", "PBI-JK"),
    ("blt_dd", "BLT Dana Desa", "BLT Dana Desa"),
    ("lainnya", "bantuan lain", "other assistance"),
)


def _pair(id_: str, label: tuple[str, str], definition: tuple[str, str]) -> list[IndicatorDef]:
    share_label = (f"Persentase {label[0]}", f"Share of {label[1]}")
    return [
        IndicatorDef(id_, label, "RT", definition=definition),
        IndicatorDef(
            id_ + "_pct",
            share_label,
            "%",
            share=True,
            definition=("Dibagi jumlah RT aktif tercatat.", "Divided by the active households recorded."),
        ),
    ]


INDICATORS: tuple[IndicatorDef, ...] = (
    IndicatorDef(
        "rt_jumlah",
        ("RT aktif tercatat", "Active households recorded"),
        "RT",
        definition=(
            "Rumah tangga berstatus aktif (tidak pindah, tidak bubar) pada akhir bulan.",
            "Households not moved or dissolved at the end of the month.",
        ),
    ),
    *_pair(
        "rt_miskin",
        ("RT miskin/rentan (desil 1-4)", "poor/vulnerable households (decile 1-4)"),
        (
            "Desil kesejahteraan resmi (DTSEN/P3KE/DTKS) 1 sampai 4. RT tanpa desil tidak dihitung miskin.",
            "Official welfare decile (DTSEN/P3KE/DTKS) 1 to 4. Households without a decile are not counted.",
        ),
    ),
    IndicatorDef("rt_tanpa_desil", ("RT tanpa desil", "Households without a decile"), "RT"),
    *_pair(
        "rt_air_layak",
        ("RT air minum layak", "households with safe drinking water"),
        (
            "Air kemasan/isi ulang, leding, sumur bor, sumur terlindung (definisi KRS BKKBN).",
            "Bottled/refill, piped, borehole or protected well (BKKBN stunting-risk definition).",
        ),
    ),
    *_pair(
        "rt_sanitasi_layak",
        ("RT sanitasi layak", "households with proper sanitation"),
        (
            "Jamban sendiri/bersama/umum, leher angsa, ke tangki septik, IPAL atau lubang tanah.",
            "Own/shared/communal toilet, goose-neck, to a septic tank, sewer or soil pit.",
        ),
    ),
    *_pair(
        "rt_krs",
        ("RT berisiko stunting", "households at risk of stunting"),
        (
            "Keluarga sasaran dengan air minum atau jamban tidak layak, atau PUS 4 Terlalu (BKKBN).",
            "Target family without safe water or a decent toilet, or a '4 too' couple (BKKBN).",
        ),
    ),
    *(
        IndicatorDef(f"rt_{option}", (f"RT penerima {label_id}", f"Households receiving {label_en}"), "RT")
        for option, label_id, label_en in _ASSISTANCE
    ),
    IndicatorDef("rt_tanpa_bansos", ("RT tanpa bantuan sosial", "Households without social assistance"), "RT"),
)

FLAGS: tuple[tuple[str, str, str], ...] = (
    ("miskin", "Miskin/rentan (desil 1-4)", "Poor/vulnerable (decile 1-4)"),
    ("air_layak", "Air minum layak", "Safe drinking water"),
    ("sanitasi_layak", "Sanitasi layak", "Proper sanitation"),
    ("krs", "Berisiko stunting", "At risk of stunting"),
)


def household_flags(form: FormSpec, answers: Mapping[str, Any]) -> frozenset[str]:
    """The list flags of one household record (non-sensitive answers are enough)."""
    derived = formflow.derived_values(form, answers)
    decile = answers.get("desil_kesejahteraan")
    flags = {
        "miskin": decile is not None and decile <= 4,
        "air_layak": derived.get("air_minum_layak"),
        "sanitasi_layak": derived.get("sanitasi_layak"),
        "krs": derived.get("keluarga_berisiko_stunting"),
    }
    return frozenset(k for k, v in flags.items() if v)


def village_indicators(form: FormSpec, households: Iterable[Mapping[str, Any]]) -> dict[str, float | int | None]:
    """Counts and shares over the records of a village's active households at one moment.
    A share of no households is None (no value), never 0."""
    records = list(households)
    counts = {d.id: 0 for d in INDICATORS if not d.share}
    for answers in records:
        flags = household_flags(form, answers)
        assistance = answers.get("penerima_bansos") or []
        counts["rt_jumlah"] += 1
        counts["rt_miskin"] += "miskin" in flags
        counts["rt_tanpa_desil"] += answers.get("desil_kesejahteraan") is None
        counts["rt_air_layak"] += "air_layak" in flags
        counts["rt_sanitasi_layak"] += "sanitasi_layak" in flags
        counts["rt_krs"] += "krs" in flags
        for option, _, _ in _ASSISTANCE:
            counts[f"rt_{option}"] += option in assistance
        counts["rt_tanpa_bansos"] += "tidak_ada" in assistance
    total = counts["rt_jumlah"]
    result: dict[str, float | int | None] = {}
    for definition in INDICATORS:
        if definition.share:
            result[definition.id] = counts[definition.id.removesuffix("_pct")] / total if total else None
        else:
            result[definition.id] = counts[definition.id]
    return result


def state_at(versions: Iterable[Mapping[str, Any]], cutoff: str) -> Mapping[str, Any] | None:
    """The last version saved at or before ``cutoff`` (ISO UTC text), or None. Each version is a
    mapping with ``version`` and ``saved_at``."""
    earlier = [v for v in versions if v["saved_at"] <= cutoff]
    return max(earlier, key=lambda v: v["version"]) if earlier else None
