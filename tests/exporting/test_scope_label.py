"""The scope label of a workbook (its title and notes): the smallest area holding all villages,
in the person's language, words from the text catalogues, plain text (a workbook is not HTML)."""

import pytest

from domain.imports import VillageRow
from features.exporting.service import scope_label
from tests.exporting.support import CIBIRU, OEBOBO, SUKAMAJU, services

CIMENYAN, KOTA_BANDUNG = "32.04.13.2001", "32.73.01.1001"


@pytest.fixture
async def svc(settings, storage, clock, posyandu_ids):
    await storage.areas.import_villages(
        [
            VillageRow(CIMENYAN, "Cikadut & Mekarmanik", "Cimenyan", "Kabupaten Bandung", "Jawa Barat", "Asia/Jakarta"),
            VillageRow(KOTA_BANDUNG, "Sukaluyu", "Cibeunying Kaler", "Kota Bandung", "Jawa Barat", "Asia/Jakarta"),
        ]
    )
    return services(settings, storage, clock)


@pytest.mark.parametrize(
    "codes,indonesian,english",
    [
        ([SUKAMAJU], "Desa Sukamaju", "Sukamaju Village"),
        ([CIMENYAN], "Desa Cikadut & Mekarmanik", "Cikadut & Mekarmanik Village"),  # not HTML-escaped
        ([SUKAMAJU, CIBIRU], "Kecamatan Cileunyi", "Cileunyi District"),
        ([SUKAMAJU, CIMENYAN], "Kabupaten Bandung", "Kabupaten Bandung"),
        ([SUKAMAJU, KOTA_BANDUNG], "Provinsi Jawa Barat", "Jawa Barat Province"),
        ([SUKAMAJU, OEBOBO], "Indonesia", "Indonesia"),
        ([], "", ""),
    ],
)
async def test_the_smallest_area_in_the_persons_language(svc, codes, indonesian, english):
    assert await scope_label(svc, codes, "id") == indonesian
    assert await scope_label(svc, codes, "en") == english
    assert await scope_label(svc, codes) == indonesian


async def test_the_same_words_as_the_export_chat_names_areas(svc):
    from domain.texts import catalogue

    for lang in ("id", "en"):
        assert await scope_label(svc, [SUKAMAJU], lang) == catalogue(lang)["export.village"].format(name="Sukamaju")
