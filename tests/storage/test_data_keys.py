"""DATA_KEY and what it encrypts (issue 17, items 4, 7 and 8): values bound to their row and
field (swapped blobs do not open), weak keys refused, a new key printed, the fingerprint made
with scrypt, older data brought up to date at start, rotation of everything encrypted, and no
sensitive form without a key."""

import asyncio
import base64
import json
import secrets
import sqlite3
from contextlib import closing, contextmanager

import pytest

import storage.crypto as crypto
from app.cli import main
from domain.households import Status
from domain.models import ScopeEntry
from domain.roles import Role
from runtime.services import open_services
from runtime.settings import REPO_DIR
from storage import DataKeyError, Storage
from storage.crypto import LegacyCipher, check_key_strength, key_bits, new_key
from storage.export_rows import ReportOrder
from storage.keys import FINGERPRINT_KEY, KDF_KEY
from storage.reports import Session
from tests.support.harness import TOKEN, make_settings, seed
from tests.support.households import KEY, KK, NAME, NIK, VILLAGE, store_household

OTHER_KK, OTHER_NIK, OTHER_NAME = "3204121503180015", "3204121508850011", "Siti Rahayu"
NOTE = "umur 31, 12 November, di rumah, perdarahan setelah bersalin"
NEW_KEY = "sYfDPBR9NqTmRBtju2Y6b_7sMJE3B0Po9xOuoRh-Cgk"


@pytest.fixture
async def kstorage(settings, clock):
    """Storage with the test key, the KIA form's death notes protected, a kader and a bidan."""
    store = await Storage.open(settings.database_path, clock, data_key=KEY)
    store.protect({"kematian_ibu_catatan", "kematian_bayi_catatan"})
    await seed(store)
    mawar = (await store.areas.posyandu_in(VILLAGE))[0].id
    for user_id, role, posyandu in ((1001, Role.KADER, mawar), (1002, Role.BIDAN, None)):
        [code] = await store.users.create_invitations(role, [ScopeEntry(area_code=VILLAGE, posyandu_id=posyandu)])
        await store.users.register(user_id, f"user {user_id}", code)
    yield store
    await store.close()


@contextmanager
def raw(settings):
    """The database file as someone without the key sees it: plain SQLite (committed, closed)."""
    with closing(sqlite3.connect(settings.database_path)) as conn:
        conn.row_factory = sqlite3.Row
        with conn:
            yield conn


# -- item 7: a ciphertext belongs to one row and field ------------------------------------------
async def test_swapped_identity_blobs_do_not_open_with_a_clear_error(kstorage, settings):
    first = await store_household(kstorage, 1001)
    second = await store_household(kstorage, 1001, kk=OTHER_KK, nik=OTHER_NIK, name=OTHER_NAME)
    with raw(settings) as conn:  # no key needed: swap the two families' identity blobs
        blobs = {r["household_id"]: r["identity"] for r in conn.execute("SELECT * FROM household_versions")}
        for household_id, other_id in (
            (first.household_id, second.household_id),
            (second.household_id, first.household_id),
        ):
            conn.execute(
                "UPDATE household_versions SET identity = ? WHERE household_id = ?", (blobs[other_id], household_id)
            )
    with pytest.raises(
        DataKeyError, match=rf"household_versions {first.household_id}/1 identity: .*does not belong here"
    ):
        await kstorage.households.get(first.household_id)  # never the other family's KK, NIK and name
    with pytest.raises(DataKeyError, match="does not belong here"):
        await kstorage.households.find_by_name(VILLAGE, OTHER_NAME)


async def test_swapped_draft_answers_and_sessions_do_not_open(kstorage, settings):
    draft = await kstorage.households.open_draft(1001, VILLAGE, None)
    await kstorage.households.save_answer(draft.id, "no_kk", KK)
    await kstorage.households.save_answer(draft.id, "nik_kepala_keluarga", NIK)
    with raw(settings) as conn:  # the KK typed as the head's NIK and the other way round
        values = dict(conn.execute("SELECT question_id, value FROM household_draft_answers").fetchall())
        for question, other in (("no_kk", "nik_kepala_keluarga"), ("nik_kepala_keluarga", "no_kk")):
            conn.execute(
                "UPDATE household_draft_answers SET value = ? WHERE question_id = ?", (values[other], question)
            )
    with pytest.raises(DataKeyError, match=rf"household_draft_answers {draft.id} (no_kk|nik_kepala_keluarga)"):
        await kstorage.households.draft_of(1001)

    mawar = (await kstorage.areas.posyandu_in(VILLAGE))[0].id
    report = await kstorage.reports.open_draft("kia_bulanan", mawar, "2026-10", 1002)
    await kstorage.reports.save_answer(report.id, "kematian_ibu_catatan", NOTE)
    with raw(settings) as conn:  # a note moved to the other death note's question
        conn.execute("UPDATE draft_answers SET question_id = 'kematian_bayi_catatan' WHERE draft_id = ?", (report.id,))
    with pytest.raises(DataKeyError, match=r"draft_answers \d+ kematian_bayi_catatan: .*does not belong here"):
        await kstorage.reports.draft(report.id)


async def test_a_new_status_version_carries_the_identity_bound_to_itself(kstorage):
    saved = await store_household(kstorage, 1001)
    moved = await kstorage.households.set_status(saved.household_id, Status.MOVED, await kstorage.users.get(1001))
    assert moved.version == 2
    assert (await kstorage.households.get(saved.household_id)).head == NAME
    assert (await kstorage.households.version_answers(saved.household_id, 1))["no_kk"] == KK


# -- item 8: the key ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "weak",
    [
        "passwordpassword",
        "passwordpasswordpasswordpassword",
        "test-data-key-0123456789abcdef",
        "Correct-Horse-Battery-Staple-42",
        "0123456789abcdef0123456789abcdef",
        "a" * 64,
        secrets.token_hex(8),  # 64 random bits
        "correct horse battery staple and more words",
    ],
)
async def test_weak_keys_are_refused_before_the_database_is_opened(settings, clock, weak):
    with pytest.raises(DataKeyError, match=r"DATA_KEY (is too weak|must be a random key).*households new-key"):
        await Storage.open(settings.database_path, clock, data_key=weak)
    assert not settings.database_path.exists()


def test_random_keys_pass_and_new_keys_are_256_bits():
    keys = {new_key() for _ in range(2000)}
    assert len(keys) == 2000 and {len(k) for k in keys} == {43}
    for key in keys:
        check_key_strength(key)
    for key in (secrets.token_hex(32), secrets.token_urlsafe(32), KEY, NEW_KEY):
        assert key_bits(key) >= crypto.MIN_KEY_BITS
    assert key_bits("passwordpassword") < 64


def test_the_cli_prints_a_new_key_and_refuses_a_weak_one(settings, monkeypatch, capsys):
    assert main(["households", "new-key"]) == 0
    printed = capsys.readouterr()
    check_key_strength(printed.out.strip())
    assert printed.out.count("\n") == 1
    monkeypatch.setenv("DATABASE_PATH", str(settings.database_path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATA_KEY", "passwordpassword")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "too weak" in err and "passwordpassword" not in err


async def test_the_fingerprint_needs_scrypt_with_the_databases_salt(kstorage, settings, monkeypatch):
    fingerprint = await kstorage.meta.get(FINGERPRINT_KEY)
    params = crypto.KdfParams.parse(await kstorage.meta.get(KDF_KEY))
    assert fingerprint.startswith("v2:") and (params.log_n, params.r, params.p) == crypto.DEFAULT_COST
    assert fingerprint != LegacyCipher(KEY).fingerprint  # no longer one fast HMAC away from a guess
    crypto._master.cache_clear()
    calls = []
    real = crypto.hashlib.scrypt
    monkeypatch.setattr(crypto.hashlib, "scrypt", lambda *a, **k: calls.append(k) or real(*a, **k))
    assert crypto.DataCipher(KEY, params).fingerprint == fingerprint
    assert calls and calls[0]["salt"] == params.salt and calls[0]["n"] == 2**params.log_n
    # The product's cost (the tests lower it, tests/conftest.py): 64 MiB, two passes.
    assert crypto.PRODUCT_COST == (16, 8, 2)


# -- item 4: no sensitive answers without a key -------------------------------------------------
async def test_the_bot_needs_a_key_for_a_form_with_sensitive_questions(tmp_path, settings, clock):
    with pytest.raises(DataKeyError, match=r"form kia_bulanan has sensitive questions \(kematian_ibu_catatan"):
        await open_services(settings, clock, serving=True)
    assert not settings.database_path.exists()  # refused before the database was touched
    services = await open_services(settings, clock)  # other commands (remind --now) need no key
    try:
        mawar = (await seed(services.storage))["Mawar"]
        [code] = await services.storage.users.create_invitations(Role.BIDAN, [ScopeEntry(area_code=VILLAGE)])
        await services.storage.users.register(1002, "Ani", code)
        draft = await services.storage.reports.open_draft("kia_bulanan", mawar, "2026-10", 1002)
        with pytest.raises(DataKeyError, match="kematian_ibu_catatan is a sensitive question"):
            await services.storage.reports.save_answer(draft.id, "kematian_ibu_catatan", NOTE)
        await services.storage.reports.save_answer(draft.id, "kematian_ibu", 1)  # the rest is stored
        assert (await services.storage.reports.draft(draft.id)).answers == {"kematian_ibu": 1}
    finally:
        await services.storage.close()
    await (await open_services(make_settings(tmp_path, data_key=KEY), clock, serving=True)).storage.close()
    uji = make_settings(tmp_path, forms_dir=REPO_DIR / "tests" / "support" / "forms")  # no sensitive questions
    with pytest.raises(DataKeyError, match="the database holds data encrypted with a DATA_KEY"):
        await open_services(uji, clock, serving=True)


async def test_sensitive_answers_are_left_out_of_exports_which_need_no_key(kstorage, settings, clock):
    mawar = (await kstorage.areas.posyandu_in(VILLAGE))[0].id
    draft = await kstorage.reports.open_draft("kia_bulanan", mawar, "2026-10", 1002)
    answers = {"kematian_ibu": 1, "kematian_ibu_catatan": NOTE}
    await kstorage.reports.submit(draft, await kstorage.users.get(1002), VILLAGE, answers)
    keyless = await Storage.open(settings.database_path, clock)
    try:
        streams = keyless.export_rows.streams([VILLAGE], ["2026-10"], ["kia_bulanan"])
        [report] = await asyncio.to_thread(lambda: list(streams.latest_reports(ReportOrder.BY_MONTH)))
        assert report.values == {"kematian_ibu": 1}
    finally:
        await keyless.close()


# -- migration: data written by earlier versions ------------------------------------------------
async def _as_written_before(kstorage, settings):
    """Turn what kstorage stored into what the version before issue 17 wrote: identity and
    household drafts in format 1 (table-only associated data, keys without scrypt), the KK hash
    and fingerprint of those keys, death notes and session states in clear."""
    legacy = LegacyCipher(KEY)
    cipher = kstorage.cipher
    with raw(settings) as conn:
        for r in conn.execute("SELECT household_id, version, identity FROM household_versions").fetchall():
            plain = cipher.decrypt(r["identity"], crypto.place("household_versions", r[0], r[1], field="identity"))
            conn.execute(
                "UPDATE household_versions SET identity = ? WHERE household_id = ? AND version = ?",
                (legacy.encrypt(plain, b"household_versions"), r[0], r[1]),
            )
            conn.execute("UPDATE households SET kk_hash = ? WHERE id = ?", (legacy.lookup_hash(plain["no_kk"]), r[0]))
        for r in conn.execute("SELECT draft_id, question_id, value FROM household_draft_answers").fetchall():
            plain = cipher.decrypt(r["value"], crypto.place("household_draft_answers", r[0], field=r[1]))
            conn.execute(
                "UPDATE household_draft_answers SET value = ? WHERE draft_id = ? AND question_id = ?",
                (legacy.encrypt(plain, b"household_draft_answers"), r[0], r[1]),
            )
        for table, row in (("draft_answers", "draft_id"), ("report_values", "revision_id")):
            for r in conn.execute(f"SELECT {row}, question_id, value FROM {table} WHERE typeof(value) = 'blob'"):
                plain = cipher.decrypt(r["value"], crypto.place(table, r[0], field=r[1]))
                conn.execute(
                    f"UPDATE {table} SET value = ? WHERE {row} = ? AND question_id = ?",
                    (json.dumps(plain, ensure_ascii=False), r[0], r[1]),
                )
        for r in conn.execute("SELECT id, report_id, revision, changes FROM report_revisions").fetchall():
            changes = json.loads(r["changes"])
            for question, pair in changes.items():
                if isinstance(pair, dict):
                    changes[question] = cipher.decrypt(
                        base64.b64decode(pair["sealed"]),
                        crypto.place("report_revisions", r[1], r[2], field=question),
                    )
            conn.execute("UPDATE report_revisions SET changes = ? WHERE id = ?", (json.dumps(changes), r[0]))
        for r in conn.execute("SELECT telegram_id, pending FROM sessions").fetchall():
            plain = cipher.decrypt(r["pending"], crypto.place("sessions", r[0], field="pending"))
            conn.execute("UPDATE sessions SET pending = ? WHERE telegram_id = ?", (json.dumps(plain), r[0]))
        conn.execute("DELETE FROM meta WHERE key = ?", (KDF_KEY,))
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (legacy.fingerprint, FINGERPRINT_KEY))


async def _everything_encrypted(settings):
    with raw(settings) as conn:
        assert {r[0][:1] for r in conn.execute("SELECT identity FROM household_versions")} == {b"\x02"}
        assert {r[0][:1] for r in conn.execute("SELECT value FROM household_draft_answers")} == {b"\x02"}
        for table in ("draft_answers", "report_values"):
            kinds = dict(
                conn.execute(f"SELECT question_id, typeof(value) FROM {table} WHERE question_id LIKE '%catatan'")
            )
            assert set(kinds.values()) == {"blob"}, (table, kinds)
        assert {r[0] for r in conn.execute("SELECT typeof(pending) FROM sessions")} == {"blob"}
        assert NOTE not in " ".join(r[0] for r in conn.execute("SELECT changes FROM report_revisions"))


async def _fill(kstorage):
    await store_household(kstorage, 1001)
    await store_household(kstorage, 1001, kk=OTHER_KK, nik=OTHER_NIK, name=OTHER_NAME)
    await kstorage.households.open_draft(1001, VILLAGE, await kstorage.households.find_by_kk(VILLAGE, KK))
    mawar = (await kstorage.areas.posyandu_in(VILLAGE))[0].id
    bidan = await kstorage.users.get(1002)
    for note in ("catatan pertama", NOTE):  # a revision whose changes hold the note
        draft = await kstorage.reports.open_draft("kia_bulanan", mawar, "2026-10", 1002)
        await kstorage.reports.submit(draft, bidan, VILLAGE, {"kematian_ibu": 1, "kematian_ibu_catatan": note})
    draft = await kstorage.reports.open_draft("kia_bulanan", mawar, "2026-11", 1002)
    await kstorage.reports.save_answer(draft.id, "kematian_ibu_catatan", NOTE)
    await kstorage.reports.save_session(
        Session(1002, "household", None, "no_kk", "confirm", 0, {"value": "3273011503180009"}, 1)
    )
    return mawar


async def test_data_of_the_version_before_is_brought_up_to_date_at_start(kstorage, tmp_path, settings, clock):
    mawar = await _fill(kstorage)
    await _as_written_before(kstorage, settings)
    await kstorage.close()
    keyed = make_settings(tmp_path, data_key=KEY)
    services = await open_services(keyed, clock, serving=True)  # what `bot.py run` does first
    try:
        store = services.storage
        await _everything_encrypted(settings)
        assert (await store.meta.get(FINGERPRINT_KEY)).startswith("v2:")
        assert (await store.households.find_by_kk(VILLAGE, OTHER_KK)).head == OTHER_NAME  # hashes recomputed
        assert (await store.households.draft_of(1001)).answers["no_kk"] == KK
        assert (await store.reports.latest("kia_bulanan", mawar, "2026-10"))["kematian_ibu_catatan"] == NOTE
        assert (await store.reports.session(1002)).pending == {"value": "3273011503180009"}
        [upgrade] = await store.audit.recent(action="data.upgrade")
        tables = upgrade.details["tables"]
        assert tables["household_versions"] == 2 and tables["household_draft_answers"] > 0
        assert tables["report_values"] == 2 and tables["sessions"] == 1 and tables["report_revisions"] == 1
        assert (await store.keys.check()).total == 0  # the next start has nothing to do
    finally:
        await services.storage.close()


async def test_rekey_re_encrypts_everything_and_reads_either_format(kstorage, tmp_path, settings, clock, monkeypatch):
    mawar = await _fill(kstorage)
    await _as_written_before(kstorage, settings)  # a database never started with this version
    monkeypatch.setenv("DATABASE_PATH", str(settings.database_path))
    monkeypatch.delenv("FORMS_DIR", raising=False)
    monkeypatch.setenv("DATA_KEY", NEW_KEY)
    monkeypatch.setenv("OLD_DATA_KEY", "passwordpassword")  # wrong: nothing changes
    assert await asyncio.to_thread(main, ["households", "rekey"]) == 1
    monkeypatch.setenv("OLD_DATA_KEY", KEY)
    assert await asyncio.to_thread(main, ["households", "rekey"]) == 0
    await _everything_encrypted(settings)
    await kstorage.close()
    with pytest.raises(DataKeyError, match="differs"):
        await open_services(make_settings(tmp_path, data_key=KEY), clock, serving=True)
    services = await open_services(make_settings(tmp_path, data_key=NEW_KEY), clock, serving=True)
    try:
        store = services.storage
        assert (await store.households.find_by_kk(VILLAGE, KK)).head == NAME
        assert (await store.reports.latest("kia_bulanan", mawar, "2026-10"))["kematian_ibu_catatan"] == NOTE
        [_, revised] = await store.reports.revisions("kia_bulanan", mawar, "2026-10")
        assert revised["changes"] == {"kematian_ibu_catatan": ["catatan pertama", NOTE]}
        assert (await store.reports.session(1002)).pending == {"value": "3273011503180009"}
    finally:
        await services.storage.close()
