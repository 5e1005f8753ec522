"""Multipart uploads, getFile and file downloads."""

import httpx


def test_uploaded_document_can_be_fetched_back(server, api):
    server.user(1001)
    content = b"nama,suhu\nSiti,38.5\n"
    body = api(
        "sendDocument",
        files={"document": ("laporan mingguan.csv", content, "text/csv")},
        chat_id=1001,
        caption="<i>Laporan</i>",
        parse_mode="HTML",
    )
    document = body["result"]["document"]
    assert document["file_name"] == "laporan mingguan.csv"
    assert (document["mime_type"], document["file_size"]) == ("text/csv", len(content))
    assert body["result"]["caption"] == "Laporan"
    assert body["result"]["caption_entities"] == [{"type": "italic", "offset": 0, "length": 7}]
    assert server.documents(1001) == [("laporan mingguan.csv", content)]

    file = api("getFile", file_id=document["file_id"])["result"]
    assert file["file_path"].startswith("documents/") and file["file_size"] == len(content)
    assert httpx.get(f"{server.base_file_url}123:ABC/{file['file_path']}").content == content

    resent = api("sendDocument", chat_id=1001, document=document["file_id"])["result"]["document"]
    assert resent["file_id"] == document["file_id"]


def test_attach_uri_reaches_other_file_parts(server, api):
    server.user(1001)
    files = {"document": ("a.txt", b"isi"), "attachedthumb": ("t.jpg", b"jpg")}
    assert api("sendDocument", files=files, chat_id=1001, thumbnail="attach://attachedthumb")["ok"]
    body = api("sendDocument", files={"document": ("a.txt", b"isi")}, chat_id=1001, thumbnail="attach://missing")
    assert body["error_code"] == 400 and "can't find attached file" in body["description"]


def test_user_files_can_be_downloaded(server, api):
    siti = server.user(1001)
    siti.send_document("foto KTP.pdf", b"%PDF-1.4", "application/pdf")
    siti.send_photo(b"jpeg bytes")
    document, photo = (u["message"] for u in api("getUpdates")["result"])
    for file_id, expected in (
        (document["document"]["file_id"], b"%PDF-1.4"),
        (photo["photo"][-1]["file_id"], b"jpeg bytes"),
    ):
        path = api("getFile", file_id=file_id)["result"]["file_path"]
        assert httpx.get(f"{server.base_file_url}123:ABC/{path}").content == expected


def test_unknown_files(server, api):
    assert api("getFile", file_id="nope")["description"] == "Bad Request: invalid file_id"
    assert httpx.get(f"{server.base_file_url}123:ABC/documents/file_9.pdf").status_code == 404
    server.user(1001)
    assert api("sendDocument", chat_id=1001, document="https://example.org/a.pdf")["error_code"] == 400
