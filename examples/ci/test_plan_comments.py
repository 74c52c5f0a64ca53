"""The plan comment of each CI example is one comment per stage, updated on every push, never added again.

Runs the GitHub workflow's `actions/github-script` step with Node against an in-memory pull request,
and the GitLab note script against a GitLab notes API served on 127.0.0.1.

    .tools/checkers/bin/python -m unittest discover -s examples/ci -t examples/ci -v
"""

import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse

import yaml

HERE = pathlib.Path(__file__).resolve().parent

# What `actions/github-script` gives a script, for the calls the plan step makes: an async
# function of `github`, `context` and `require`, over one pull request held in memory.
GITHUB_SCRIPT_HARNESS = """
const fs = require('fs');
const state = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let nextId = state.comments.reduce((max, c) => Math.max(max, c.id), 0) + 1;
const issues = {
  listComments: async ({ issue_number }) => ({
    data: state.comments.filter((c) => c.issue_number === issue_number),
  }),
  createComment: async ({ issue_number, body }) => {
    state.comments.push({ id: nextId++, issue_number, body, user: { type: 'Bot' } });
  },
  updateComment: async ({ comment_id, body }) => {
    state.comments.find((c) => c.id === comment_id).body = body;
  },
};
const github = {
  rest: { issues },
  paginate: async (method, params) => (await method(params)).data,
};
const context = { repo: { owner: 'acme', repo: 'billing' }, issue: { number: state.pr } };
const script = fs.readFileSync(process.argv[3], 'utf8');
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'require', script)(github, context, require)
  .then(() => fs.writeFileSync(process.argv[2], JSON.stringify(state)))
  .catch((e) => { console.error(e); process.exit(1); });
"""


def comment_script():
    workflow = yaml.safe_load((HERE / "github" / "pull-request.yml").read_text())
    steps = workflow["jobs"]["plan"]["steps"]
    (step,) = [s for s in steps if s.get("uses", "").startswith("actions/github-script@")]
    return step["with"]["script"]


@unittest.skipIf(shutil.which("node") is None, "needs Node.js, as the compliance packs do")
class GitHubStickyComment(unittest.TestCase):
    def run_step(self, folder, stage, plan):
        (folder / "plan.md").write_text(plan)
        subprocess.run(
            ["node", str(folder / "harness.js"), str(folder / "state.json"), str(folder / "script.js")],
            cwd=folder,
            env={**os.environ, "STAGE": stage},
            check=True,
        )
        return json.loads((folder / "state.json").read_text())["comments"]

    def test_one_comment_per_stage_updated_on_every_push(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = pathlib.Path(tmp)
            (folder / "harness.js").write_text(GITHUB_SCRIPT_HARNESS)
            (folder / "script.js").write_text(comment_script())
            # A comment of a person that quotes the marker is not the plan comment.
            people = {"id": 7, "issue_number": 12, "body": "<!-- fanout-plan:dev --> looks good", "user": {"type": "User"}}
            (folder / "state.json").write_text(json.dumps({"pr": 12, "comments": [people]}))

            self.run_step(folder, "dev", "first dev plan")
            self.run_step(folder, "prod", "first prod plan")
            self.run_step(folder, "dev", "second dev plan")
            comments = self.run_step(folder, "prod", "second prod plan")

            bodies = sorted(c["body"] for c in comments)
            self.assertEqual(
                bodies,
                sorted([
                    people["body"],
                    "<!-- fanout-plan:dev -->\nsecond dev plan",
                    "<!-- fanout-plan:prod -->\nsecond prod plan",
                ]),
            )


class FakeGitLab(http.server.BaseHTTPRequestHandler):
    """GitLab's merge request notes API, two notes a page, for one token."""

    notes = []
    token = "glpat-test"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def allowed(self):
        if self.headers.get("PRIVATE-TOKEN") != self.token:
            self.reply(401, {"message": "401 Unauthorized"})
            return False
        return True

    def form(self):
        length = int(self.headers.get("Content-Length", "0"))
        return urllib.parse.parse_qs(self.rfile.read(length).decode())["body"][0]

    def do_GET(self):
        if not self.allowed():
            return
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        page = int(query.get("page", ["1"])[0])
        chunk = self.notes[(page - 1) * 2 : page * 2]
        more = len(self.notes) > page * 2
        self.reply(200, chunk, [("X-Next-Page", str(page + 1) if more else "")])

    def do_POST(self):
        if not self.allowed():
            return
        note = {"id": max([n["id"] for n in self.notes], default=0) + 1, "body": self.form()}
        self.notes.append(note)
        self.reply(201, note)

    def do_PUT(self):
        if not self.allowed():
            return
        note_id = int(self.path.rstrip("/").rsplit("/", 1)[1])
        note = next(n for n in self.notes if n["id"] == note_id)
        note["body"] = self.form()
        self.reply(200, note)


class GitLabPlanNote(unittest.TestCase):
    def test_one_note_per_stage_updated_on_every_push(self):
        FakeGitLab.notes = [{"id": n, "body": f"review comment {n}"} for n in range(1, 4)]
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeGitLab)
        self.addCleanup(server.server_close)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        env = {
            **os.environ,
            "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "5",
            "FANOUT_NOTE_TOKEN": FakeGitLab.token,
        }
        with tempfile.TemporaryDirectory() as tmp:
            folder = pathlib.Path(tmp)
            for push in ("first", "second"):
                for stage in ("dev", "prod"):
                    (folder / f"plan-{stage}.md").write_text(f"{push} {stage} plan")
                subprocess.run(
                    [sys.executable, str(HERE / "gitlab" / "plan_note.py"), "plan-dev.md", "plan-prod.md"],
                    cwd=folder,
                    env=env,
                    check=True,
                    capture_output=True,
                )
        bodies = [n["body"] for n in FakeGitLab.notes]
        self.assertEqual(
            bodies,
            [
                "review comment 1",
                "review comment 2",
                "review comment 3",
                "<!-- fanout-plan:dev -->\nsecond dev plan",
                "<!-- fanout-plan:prod -->\nsecond prod plan",
            ],
        )


if __name__ == "__main__":
    unittest.main()
