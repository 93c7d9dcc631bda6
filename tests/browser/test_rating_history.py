"""The artifact page's rating history in Chromium: a model ingested, changed upstream on the fake
hub and rated again shows both ratings, why each was made, the metrics the second moved and the
net score's trend, and the card fits a phone."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.support import gql, ingest, sign_in
from tests.fakehub import FakeHub
from tests.support.processes import admin_token

WHISPER_ID = "openai/whisper-tiny"
WHISPER = f"https://huggingface.co/{WHISPER_ID}"
# The card without its usage and evaluation sections: the docs a newcomer ramps up with.
SHORT_CARD = (
    b"---\nlicense: apache-2.0\n---\n# Whisper tiny\n\nA speech recognition model. "
    b"Code: https://github.com/openai/whisper\n"
)
RESCORE = """mutation Rescore($id: ID!) {
  rescoreArtifact(id: $id) { rescored reason error { __typename } }
}"""
HISTORY = """query History($id: ID!) {
  artifact(id: $id) { ratingHistory { reason netScore moved { metric before after } } }
}"""
PHONE_WIDTH = 390
SHOWN_SCORE = re.compile(r"^\d\.\d\d$")


def history_card(page: Page) -> Locator:
    return page.get_by_role("region", name="Rating history")


def test_a_model_changed_upstream_shows_both_ratings_and_what_moved(
    page: Page, server: str, hub: FakeHub, tmp_path: Path
) -> None:
    token = admin_token(server)
    model = ingest(server, token, WHISPER)
    # the hub fixture gives the repo back as shipped after the test (restore_upstream)
    hub.commit_model(WHISPER_ID, {"README.md": SHORT_CARD}, "Shorten the card")
    rescored = gql(server, token, RESCORE, id=model)["rescoreArtifact"]
    assert rescored == {"rescored": True, "reason": "UPSTREAM_CHANGED", "error": None}
    kept = gql(server, token, HISTORY, id=model)["artifact"]["ratingHistory"]

    sign_in(page, server, then=f"/artifact/{model}")
    expect(page.get_by_role("heading", level=1)).to_have_text("whisper-tiny")
    card = history_card(page)
    rows = card.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.reason)") == [
        "INGEST",
        "UPSTREAM_CHANGED",
    ]
    expect(rows.nth(0)).to_contain_text("ingested")
    expect(rows.nth(1)).to_contain_text("upstream changed")

    # The net scores as the table shows them, checked against what GraphQL keeps.
    shown = [rows.nth(i).locator("td").nth(2).inner_text().strip() for i in range(2)]
    assert all(SHOWN_SCORE.match(s) for s in shown), shown
    for text, record in zip(shown, kept, strict=True):
        assert abs(float(text) - record["netScore"]) <= 0.005, (shown, kept)
    assert shown[0] != shown[1], shown  # a shorter card costs the model some of its score
    expect(page.get_by_test_id("net-score")).to_have_text(shown[1])

    trend = card.locator("svg.trend")
    expect(trend.locator("circle")).to_have_count(2)
    expect(trend).to_have_attribute(
        "aria-label", f"Net score from {shown[0]} to {shown[1]} over 2 ratings"
    )
    expect(trend.locator("polyline")).to_have_count(1)

    # The first rating moved nothing (there was none before it); the second names its metrics.
    expect(rows.nth(0).locator("ul.moves")).to_have_count(0)
    ramp_up = rows.nth(1).locator('ul.moves li[data-metric="ramp_up_time"]')
    expect(ramp_up).to_have_count(1)
    expect(ramp_up).to_have_text(re.compile(r"^ramp_up_time \d\.\d\d → \d\.\d\d$"))
    moved = {m["metric"] for m in kept[1]["moved"]}
    assert "ramp_up_time" in moved
    listed = rows.nth(1).locator("ul.moves li").evaluate_all("ls => ls.map(l => l.dataset.metric)")
    assert set(listed) == moved
    card.scroll_into_view_if_needed()
    screenshot(page, "rating-history", tmp_path)

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    expect(card.locator("th.optional").first).to_be_hidden()  # the Gate column gives way
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE_WIDTH + 1, box
    widths = card.evaluate(
        """c => ({
          card: [c.scrollWidth, c.clientWidth],
          table: [c.querySelector('.table-wrap').scrollWidth,
                  c.querySelector('.table-wrap').clientWidth],
          trend: c.querySelector('svg.trend').getBoundingClientRect().right,
          page: [document.documentElement.scrollWidth, window.innerWidth],
        })"""
    )
    assert widths["card"][0] <= widths["card"][1] + 1, widths
    # The table fits as it is: nothing of it hides behind a sideways scroll.
    assert widths["table"][0] <= widths["table"][1] + 1, widths
    assert widths["trend"] <= box["x"] + box["width"], widths
    assert widths["page"][0] <= widths["page"][1] + 1, widths
    screenshot(page, "rating-history-phone", tmp_path)
