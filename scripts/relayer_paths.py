#!/usr/bin/env python3
"""Rewrites module paths after the move into layer folders (issue #10).

Usage: relayer_paths.py FILE...   (rewrites `crate::old` and `steward::old` in place)
Kept in the repository so a branch written before the move can be carried across:
run it over that branch's files after merging.
"""
import re
import sys

MOVES = {
    "alerts": "sources::alerts",
    "artifacts": "sources::artifacts",
    "observation": "sources::observation",
    "outbox": "store::outbox",
    "graphs": "store::graphs",
    "issues": "domain::issues",
    "incidents": "domain::incidents",
    "products": "domain::products",
    "metrics": "domain::metrics",
    "postmortem": "domain::postmortem",
    "digest": "domain::digest",
    "announcements": "domain::announcements",
    "changes": "domain::changes",
    "history": "domain::history",
    "sparkline": "domain::sparkline",
    "ingest": "app::ingest",
    "cli": "faces::cli",
    "render": "faces::cli::render",
    "push": "faces::cli::push",
    "serve": "faces::serve",
    "http": "faces::http",
    "slack": "faces::slack",
    "demo": "faces::demo",
}
PATTERN = re.compile(r"\b(crate|steward)::(" + "|".join(MOVES) + r")\b")
TESTS = re.compile(r"\b(steward)::(" + "|".join(MOVES) + r")\b")
# Text helpers the domain shares moved out of the CLI's renderer.
TEXT = re.compile(r"\b(crate|steward)::faces::cli::render::(table|short_name|channel_mention)\b")

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # `crate::` is the test crate itself outside src/: only `steward::` moves there.
    pattern = PATTERN if "src/" in path else TESTS
    new = pattern.sub(lambda m: f"{m.group(1)}::{MOVES[m.group(2)]}", text)
    new = TEXT.sub(lambda m: f"{m.group(1)}::domain::text::{m.group(2)}", new)
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
