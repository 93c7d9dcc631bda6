"""The web UI's browsing pages in Chromium against a served registry: searching (by pattern,
type, page), an artifact's page (rating evidence, licence check, download, audit log, delete)
and the lineage picture. Data is set up over GraphQL; what each test is about goes through the
UI, signed in through its own form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import ADMIN, screenshot
from tests.browser.support import gql, ingest, sign_in
from tests.support.processes import admin_token

WHISPER = "https://huggingface.co/openai/whisper-tiny"
BERT = "https://huggingface.co/google-bert/bert-base-uncased"
AUDIENCE = "https://huggingface.co/parvk11/audience_classifier_model"
RESNET = "https://huggingface.co/microsoft/resnet-50"
GENDER = "https://huggingface.co/crangana/trained-gender"  # fine-tuned from resnet-50
ONNX = "https://huggingface.co/onnx-community/trained-gender-ONNX"  # converted from it
IMDB = "https://huggingface.co/datasets/stanfordnlp/imdb"
WHISPER_CODE = "https://github.com/openai/whisper"

RESULT_NAMES = "table.results tbody td.name a"
READER_PASSWORD = "a reader's long passphrase 7"


@pytest.fixture
def token(server: str) -> str:
    return admin_token(server)


def open_fragment(page: Page, server: str, fragment: str) -> None:
    page.goto(f"{server}/#{fragment}")


def search(page: Page, *, mode: str, text: str) -> None:
    page.get_by_label("Search by").select_option(mode)
    page.get_by_label("Search for").fill(text)
    page.get_by_role("button", name="Search").click()


def test_a_pattern_finds_a_model_by_a_word_in_its_readme(
    page: Page, server: str, token: str, tmp_path: Path
) -> None:
    for url in (WHISPER, BERT, AUDIENCE):
        ingest(server, token, url)
    sign_in(page, server)
    expect(page.locator(RESULT_NAMES)).to_have_text(
        ["whisper-tiny", "bert-base-uncased", "audience_classifier_model"]
    )
    expect(page.get_by_test_id("result-count")).to_have_text("3 artifacts in the registry.")

    # Only whisper-tiny's README speaks of transcription; no name holds the word.
    search(page, mode="regex", text="(?i)transcri")
    expect(page.locator(RESULT_NAMES)).to_have_text(["whisper-tiny"])
    expect(page.get_by_test_id("result-count")).to_have_text("1 artifact match.")
    assert "regex=" in page.url
    row = page.locator("table.results tbody tr")
    expect(row).to_contain_text("MODEL")
    expect(row).to_contain_text("0.91")
    expect(row.locator(".badge")).to_have_text("passed")

    # The search is in the address: loading it afresh runs it again.
    page.reload()
    expect(page.get_by_label("Search for")).to_have_value("(?i)transcri")
    expect(page.locator(RESULT_NAMES)).to_have_text(["whisper-tiny"])

    search(page, mode="regex", text="([")
    expect(page.get_by_role("alert")).to_contain_text("validation: regex is not valid RE2 syntax")
    expect(page.locator(RESULT_NAMES)).to_have_count(0)

    search(page, mode="name", text="bert-base-uncased")
    expect(page.locator(RESULT_NAMES)).to_have_text(["bert-base-uncased"])
    search(page, mode="name", text="bert")  # exact: a part of a name is not a match
    expect(page.get_by_test_id("result-count")).to_have_text("0 artifacts match.")


def test_type_and_gate_filters(page: Page, server: str, token: str) -> None:
    ingest(server, token, WHISPER)
    ingest(server, token, AUDIENCE)
    ingest(server, token, IMDB, "DATASET")
    ingest(server, token, WHISPER_CODE, "CODE")
    sign_in(page, server)
    expect(page.locator(RESULT_NAMES)).to_have_count(4)

    page.get_by_label("Dataset").check()
    page.get_by_role("button", name="Search").click()
    expect(page.locator(RESULT_NAMES)).to_have_text(["imdb"])
    expect(page.locator("table.results tbody tr").first).to_contain_text("DATASET")

    page.get_by_label("Dataset").uncheck()
    page.get_by_label("Model").check()
    page.get_by_label("Code").check()
    page.get_by_role("button", name="Search").click()
    expect(page.locator(RESULT_NAMES)).to_have_text(
        ["whisper-tiny", "audience_classifier_model", "whisper"]
    )
    assert "types=MODEL%2CCODE" in page.url or "types=MODEL,CODE" in page.url

    page.get_by_label("Code").uncheck()
    page.get_by_label("Gate").select_option("failed")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(RESULT_NAMES)).to_have_text(["audience_classifier_model"])
    expect(page.locator("table.results tbody .badge")).to_have_text(["failed"])

    page.get_by_label("Gate").select_option("any")
    page.get_by_label("Minimum net score").fill("0.5")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(RESULT_NAMES)).to_have_text(["whisper-tiny"])


def test_pages_of_results_walk_forward_and_back(page: Page, server: str, token: str) -> None:
    for url in (WHISPER, BERT, RESNET):
        ingest(server, token, url)
    sign_in(page, server)
    open_fragment(page, server, "/artifacts?first=2")
    names = page.locator(RESULT_NAMES)
    pager = page.get_by_role("navigation", name="Result pages")
    expect(names).to_have_text(["whisper-tiny", "bert-base-uncased"])
    expect(page.get_by_test_id("result-count")).to_have_text("3 artifacts in the registry.")
    expect(pager).to_contain_text("Page 1 of 2")
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    expect(page.get_by_label("Per page")).to_have_value("2")

    page.get_by_role("button", name="Next").click()
    expect(names).to_have_text(["resnet-50"])
    expect(pager).to_contain_text("Page 2 of 2")
    # the keyboard user is taken to what changed
    expect(page.get_by_test_id("result-count")).to_be_focused()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    assert "cursors=" in page.url

    page.go_back()
    expect(names).to_have_text(["whisper-tiny", "bert-base-uncased"])
    page.go_forward()
    expect(names).to_have_text(["resnet-50"])
    page.get_by_role("button", name="Previous").click()
    expect(names).to_have_text(["whisper-tiny", "bert-base-uncased"])
    expect(pager).to_contain_text("Page 1 of 2")


def test_a_metric_shows_its_evidence(page: Page, server: str, token: str, tmp_path: Path) -> None:
    ingest(server, token, WHISPER)
    sign_in(page, server)
    page.locator(RESULT_NAMES).get_by_text("whisper-tiny").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("whisper-tiny")
    expect(page.get_by_test_id("net-score")).to_have_text("0.91")
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("apache-2.0")
    expect(facts.get_by_role("link", name=WHISPER)).to_have_attribute("href", WHISPER)
    code = facts.get_by_role("link", name="openai/whisper", exact=True)
    expect(code).to_have_attribute("href", "https://github.com/openai/whisper")
    expect(page.get_by_role("heading", name="Gate decision")).to_contain_text("gate passed")
    expect(page.get_by_test_id("cost-total")).to_have_text(re.compile(r"\d+\.\d MB"))
    screenshot(page, "artifact", tmp_path)
    assert "null" not in page.locator("#app").inner_text()

    evidence = page.get_by_text("card declares license apache-2.0 -> Apache-2.0")
    expect(evidence).to_be_hidden()
    page.get_by_text("Evidence for license").click()
    expect(evidence).to_be_visible()
    expect(page.get_by_text("Apache-2.0 allows fine-tuning and inference")).to_be_visible()

    # A metric that does not apply says so, and why.
    tree = page.locator("table.metrics tr", has=page.get_by_role("rowheader", name="tree_score"))
    expect(tree).to_contain_text("does not apply")
    page.get_by_text("Evidence for tree_score").click()
    expect(
        page.get_by_text("Does not apply: no parent model named in config.json or the card")
    ).to_be_visible()


def test_a_licence_check_gives_a_verdict_or_the_reason_there_is_none(
    page: Page, server: str, token: str
) -> None:
    model = ingest(server, token, WHISPER)
    sign_in(page, server)
    open_fragment(page, server, f"/artifact/{model}")
    url = page.get_by_label("GitHub repository URL")
    result = page.get_by_test_id("license-result")

    url.fill("https://github.com/openai/whisper")
    page.get_by_role("button", name="Check licence").click()
    expect(result).to_contain_text("compatible")
    expect(result).to_contain_text("Apache-2.0 and MIT both allow fine-tuning")
    expect(result.locator("dl")).to_contain_text("MIT")
    expect(result.locator("dl")).to_contain_text("openai/whisper")

    url.fill("https://github.com/acme/does-not-exist")
    page.get_by_role("button", name="Check licence").click()
    expect(result.get_by_role("alert")).to_contain_text("upstream_not_found")
    expect(result.get_by_role("alert")).to_contain_text("acme/does-not-exist")


def test_the_bundle_downloads_as_a_zip(page: Page, server: str, token: str) -> None:
    model = ingest(server, token, BERT)
    sign_in(page, server)
    open_fragment(page, server, f"/artifact/{model}")
    with page.expect_download() as pending:
        page.get_by_role("button", name="Download").click()
    download = pending.value
    assert download.suggested_filename == "bert-base-uncased.zip"
    assert Path(download.path()).read_bytes()[:2] == b"PK"


def test_the_audit_log_pages_newest_first(page: Page, server: str, token: str) -> None:
    model = ingest(server, token, WHISPER)
    for _ in range(12):  # each read of the log is an entry of its own
        gql(
            server,
            token,
            "query($id: ID!) { auditLog(artifactId: $id) { edges { cursor } } }",
            id=model,
        )
    sign_in(page, server)
    open_fragment(page, server, f"/artifact/{model}")
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(10)
    expect(rows.first).to_contain_text("AUDIT")
    expect(rows.first).to_contain_text(ADMIN)

    page.get_by_role("button", name="More").click()
    expect(page.get_by_role("button", name="More")).to_be_hidden()
    assert rows.count() > 10
    expect(rows.last).to_contain_text("CREATE")


def test_the_lineage_picture_moves_between_models(
    page: Page, server: str, token: str, tmp_path: Path
) -> None:
    resnet = ingest(server, token, RESNET)
    gender = ingest(server, token, GENDER)
    ingest(server, token, ONNX)
    sign_in(page, server)
    open_fragment(page, server, f"/artifact/{gender}")
    page.get_by_role("link", name="Lineage", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lineage of trained-gender")

    picture = page.locator("figure.lineage svg")
    expect(picture.locator("path.edge")).to_have_count(2)
    parent = picture.locator('g.node[data-name="microsoft/resnet-50"]')
    root = picture.locator('g.node[data-name="crangana/trained-gender"]')
    child = picture.locator('g.node[data-name="onnx-community/trained-gender-ONNX"]')
    expect(parent.locator("a")).to_have_attribute("href", f"#/artifact/{resnet}/lineage")
    # base models above the model, fine-tunes below
    tops = []
    for node in (parent, root, child):
        box = node.bounding_box()
        assert box is not None
        tops.append(box["y"])
    assert tops[0] < tops[1] < tops[2]
    nodes = page.get_by_role("table", name="Models in this lineage")
    expect(nodes).to_contain_text("base model, 1 step up")
    expect(nodes).to_contain_text("fine-tune, 1 step down")
    screenshot(page, "lineage", tmp_path)
    assert "null" not in page.locator("#app").inner_text()

    parent.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lineage of resnet-50")
    assert page.url.endswith(f"#/artifact/{resnet}/lineage")

    # By keyboard: the fine-tune's node is a link that Enter follows.
    page.locator('g.node[data-name="crangana/trained-gender"] a').focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lineage of trained-gender")


def test_an_unregistered_parent_is_drawn_by_name_and_direction_narrows(
    page: Page, server: str, token: str
) -> None:
    gender = ingest(server, token, GENDER)
    ingest(server, token, ONNX)
    sign_in(page, server)
    open_fragment(page, server, f"/artifact/{gender}/lineage")
    picture = page.locator("figure.lineage svg")
    parent = picture.locator('g.node[data-name="microsoft/resnet-50"]')
    expect(parent).to_have_class(re.compile(r"\bunregistered\b"))
    expect(parent).to_contain_text("not registered")
    expect(parent.locator("a")).to_have_count(0)
    expect(
        picture.locator('g.node[data-name="onnx-community/trained-gender-ONNX"] a')
    ).to_have_count(1)

    page.get_by_label("Direction").select_option("UP")
    page.get_by_label("Depth (steps)").fill("1")
    page.get_by_role("button", name="Show").click()
    expect(picture.locator("g.node")).to_have_count(2)
    expect(picture.locator('g.node[data-name="onnx-community/trained-gender-ONNX"]')).to_have_count(
        0
    )
    assert "direction=UP" in page.url
    assert "depth=1" in page.url


def test_an_admin_deletes_an_artifact(page: Page, server: str, token: str) -> None:
    model = ingest(server, token, WHISPER)
    ingest(server, token, BERT)
    sign_in(page, server)
    open_fragment(page, server, f"/artifact/{model}")
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").first).to_have_text(f"Deleted whisper-tiny (id {model}).")
    assert page.url.endswith("#/artifacts")
    assert len(asked) == 1
    assert "whisper-tiny" in asked[0]
    expect(page.locator(RESULT_NAMES)).to_have_text(["bert-base-uncased"])

    search(page, mode="name", text="whisper-tiny")
    expect(page.get_by_test_id("result-count")).to_have_text("0 artifacts match.")
    open_fragment(page, server, f"/artifact/{model}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Artifact not found")


def test_declining_the_confirmation_keeps_the_artifact(page: Page, server: str, token: str) -> None:
    model = ingest(server, token, WHISPER)
    sign_in(page, server)
    open_fragment(page, server, f"/artifact/{model}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("whisper-tiny")
    answer = gql(server, token, "query($id: ID!) { artifact(id: $id) { id } }", id=model)
    assert answer["artifact"] == {"id": model}


def test_a_reader_sees_no_download_or_delete(page: Page, server: str, token: str) -> None:
    model = ingest(server, token, WHISPER)
    created = gql(
        server,
        token,
        """mutation($name: String!, $password: String!) {
          createUser(name: $name, password: $password, permissions: [SEARCH]) {
            user { name }
            error { ... on Error { code message } }
          }
        }""",
        name="reader",
        password=READER_PASSWORD,
    )["createUser"]
    assert created == {"user": {"name": "reader"}, "error": None}
    sign_in(page, server, "reader", READER_PASSWORD)
    open_fragment(page, server, f"/artifact/{model}")
    expect(page.get_by_role("heading", level=1)).to_have_text("whisper-tiny")
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    expect(page.get_by_role("link", name="Lineage", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Download")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    # Nothing was asked for that the reader may not have: no DOWNLOAD entry in the log.
    expect(page.locator("table.audit tbody")).not_to_contain_text("DOWNLOAD")


def test_the_pages_fit_a_phone(page: Page, server: str, token: str) -> None:
    ingest(server, token, RESNET)
    gender = ingest(server, token, GENDER)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server)
    for fragment, heading in (
        ("/artifacts", "Artifacts"),
        (f"/artifact/{gender}", "trained-gender"),
        (f"/artifact/{gender}/lineage", "Lineage of trained-gender"),
    ):
        open_fragment(page, server, fragment)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        page.get_by_role("heading", level=1).wait_for()
        if "lineage" not in fragment and fragment != "/artifacts":
            page.get_by_text("Evidence for size_score").click()  # long evidence lines wrap
            expect(page.locator("table.audit tbody tr").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"{fragment} is {width} px wide"
