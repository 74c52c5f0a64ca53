"""Puts fanout's plans on a GitLab merge request as one note per stage, updated on every push.

    python3 plan_note.py plan-dev.md plan-prod.md

Each file is the output of `fanout diff --stage STAGE --format markdown`; its stage is taken from
the file name (`plan-STAGE.md`). A note is found again by its first line, a marker naming the
stage, so a push updates the note instead of adding another.

Reads GitLab's predefined variables CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID, and
FANOUT_NOTE_TOKEN (a project access token with the `api` scope). Standard library only.
"""

import json
import os
import pathlib
import sys
import urllib.parse
import urllib.request


def request(method, url, token, body=None):
    data = None if body is None else urllib.parse.urlencode({"body": body}).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"PRIVATE-TOKEN": token})
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.load(response), response.headers


def notes(base, token):
    """Every note of the merge request, following GitLab's pages."""
    page = "1"
    while page:
        found, headers = request("GET", f"{base}?per_page=100&page={page}", token)
        yield from found
        page = headers.get("X-Next-Page", "")


def main(paths):
    api = os.environ["CI_API_V4_URL"].rstrip("/")
    project = urllib.parse.quote(os.environ["CI_PROJECT_ID"], safe="")
    merge_request = os.environ["CI_MERGE_REQUEST_IID"]
    token = os.environ["FANOUT_NOTE_TOKEN"]
    base = f"{api}/projects/{project}/merge_requests/{merge_request}/notes"

    existing = list(notes(base, token))
    for path in map(pathlib.Path, paths):
        stage = path.stem.removeprefix("plan-")
        marker = f"<!-- fanout-plan:{stage} -->"
        body = f"{marker}\n{path.read_text(encoding='utf-8')}"
        previous = next((n for n in existing if n.get("body", "").startswith(marker)), None)
        if previous:
            request("PUT", f"{base}/{previous['id']}", token, body)
            print(f"updated the plan note of {stage}")
        else:
            request("POST", base, token, body)
            print(f"added the plan note of {stage}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: plan_note.py plan-STAGE.md...")
    main(sys.argv[1:])
