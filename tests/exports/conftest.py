"""Fixtures building the sample export (data in export_sample.py)."""

from __future__ import annotations

import pytest
from export_sample import make_source
from openpyxl import load_workbook

from exports import build_workbook


@pytest.fixture
def build(tmp_path):
    """build(source, **kwargs) -> (stats, workbook opened in normal mode)."""

    def _build(source, **kwargs):
        path = tmp_path / "export.xlsx"
        stats = build_workbook(source, path, **kwargs)
        return stats, load_workbook(path)

    return _build


@pytest.fixture
def workbook(build):
    return build(make_source())[1]
