"""Run cfn-lint, checkov and the compliance packs over CloudFormation templates; report findings one per line.

Invoked by scripts/check-templates with the interpreter of .tools/checkers (see scripts/bootstrap-tools).
The compliance packs are cdk-nag's AwsSolutions, NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1 and
Serverless packs and the AWS Control Tower proactive controls (cfn-guard), run in one Node process
by scripts/lib/check_packs.js from .tools/packs.
Exit codes: 0 clean; 1 findings (a cfn-lint error or warning, a failed checkov check, a template
checkov could not parse or did not scan, a pack finding the template does not justify, a
justification no finding needs); 2 usage or environment error (missing directory, a directory
without templates, a checker that crashed).
A template justifies its deliberate exceptions itself, in each resource's Metadata (written by
fanout from one table, `fanout::compliance`); .cfnlintrc.yaml and .checkov.yaml accept nothing
a template could carry.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOOLS = Path(os.environ.get("FANOUT_TOOLS_DIR") or ROOT / ".tools")
PACKS_SCRIPT = ROOT / "scripts" / "lib" / "check_packs.js"
CFN_LINT_CONFIG = ROOT / ".cfnlintrc.yaml"
CHECKOV_CONFIG = ROOT / ".checkov.yaml"
MESSAGE_WIDTH = 200


def log(line: str = "") -> None:
    print(line, file=sys.stderr, flush=True)


def usage_error(message: str) -> None:
    log(f"check-templates: error: {message}")
    sys.exit(2)


def find_templates(dirs: list[str]) -> list[Path]:
    templates: list[Path] = []
    for d in dirs:
        path = Path(d)
        if not path.is_dir():
            usage_error(f"`{d}` is not a directory")
        found = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not found:
            # An empty directory here means the step that writes templates produced nothing;
            # passing would hide that, so it is an error.
            usage_error(f"no `*.json` templates under `{d}`")
        log(f"check-templates: {len(found)} template(s) under {d}")
        templates.extend(found)
    return templates


def display(path: str | Path) -> str:
    """A path relative to the working directory when it is below it, for short readable lines."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def shorten(message: str) -> str:
    # cfn-lint spells out every allowed value ("'receive' is not one of ['addpermission', ...]").
    message = re.sub(
        r"\[('[^']*'(, )?){6,}\]",
        lambda m: f"[{m.group(0).count(', ') + 1} allowed values]",
        " ".join(message.split()),
    )
    return message if len(message) <= MESSAGE_WIDTH else message[: MESSAGE_WIDTH - 1] + "…"


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    except OSError as exc:
        usage_error(f"cannot run `{cmd[0]}`: {exc} (hint: run scripts/bootstrap-tools)")
        raise  # unreachable


def tool_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def cfn_lint(templates: list[Path]) -> int:
    """Lint all templates; returns the number of failing findings."""
    result = run(
        [str(BIN / "cfn-lint"), "--config-file", str(CFN_LINT_CONFIG), "--format", "json", "--", *map(str, templates)]
    )
    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational; 1 is its own failure.
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        findings = None
    if findings is None or result.returncode & 1:
        log(result.stdout[-2000:] + result.stderr[-2000:])
        usage_error(f"cfn-lint failed to run (exit {result.returncode})")
    failing = [f for f in findings if f["Level"] in ("Error", "Warning")]
    counts = {level: sum(f["Level"] == level for f in findings) for level in ("Error", "Warning", "Informational")}
    log(
        f"cfn-lint {tool_version('cfn-lint')}: {counts['Error']} error(s), {counts['Warning']} warning(s), "
        f"{counts['Informational']} informational"
    )
    for f in sorted(findings, key=lambda f: (f["Filename"], f["Location"]["Start"]["LineNumber"])):
        start = f["Location"]["Start"]
        where = "/".join(str(part) for part in f["Location"].get("Path") or [])
        marker = "FAIL" if f in failing else "info"
        log(
            f"  {marker} {display(f['Filename'])}:{start['LineNumber']}:{start['ColumnNumber']}  "
            f"{f['Rule']['Id']} ({f['Level'].lower()})  {where}"
        )
        log(f"       {shorten(f['Message'])}")
    if result.returncode and not failing and not counts["Informational"]:
        usage_error(f"cfn-lint exited {result.returncode} without findings: {result.stderr.strip()[-500:]}")
    return len(failing)


def skip_comment(template: Path, resource: str, check_id: str) -> str:
    """The comment of the template's own `Metadata.checkov.skip` entry for `check_id` on `resource`
    (`Type.LogicalId`, as checkov names it); empty when there is none."""
    try:
        resources = json.loads(template.read_text(encoding="utf-8")).get("Resources") or {}
    except (OSError, ValueError, AttributeError):
        return ""
    logical_id = resource.split(".", 1)[-1]
    metadata = (resources.get(logical_id) or {}).get("Metadata") or {}
    for entry in (metadata.get("checkov") or {}).get("skip") or []:
        if isinstance(entry, dict) and entry.get("id") == check_id and isinstance(entry.get("comment"), str):
            return entry["comment"].strip()
    return ""


def checkov(templates: list[Path]) -> int:
    """Scan all templates; returns the number of failed checks, parse errors and unscanned resources."""
    env = dict(os.environ)
    # Never talk to the Prisma Cloud / Bridgecrew platform or PyPI: the checks are in the package.
    env.update({"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE", "LOG_LEVEL": "WARNING"})
    files: list[str] = []
    for t in templates:
        files += ["-f", str(t)]
    result = run(
        [
            str(BIN / "checkov"),
            "--config-file", str(CHECKOV_CONFIG),
            "--framework", "cloudformation",
            "--skip-download",
            "--output", "json",
            *files,
        ],
        env=env,
    )
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        log(result.stdout[-2000:] + result.stderr[-2000:])
        usage_error(f"checkov failed to run (exit {result.returncode})")
        raise  # unreachable
    reports = data if isinstance(data, list) else [data] if "check_type" in data else []
    failed, skipped, parse_errors = [], [], []
    passed = scanned = 0
    for report in reports:
        results = report.get("results", {})
        failed += results.get("failed_checks", [])
        skipped += results.get("skipped_checks", [])
        parse_errors += results.get("parsing_errors", [])
        passed += len(results.get("passed_checks", []))
        scanned += report.get("summary", {}).get("resource_count", 0)

    expected = 0
    for t in templates:
        try:
            expected += len(json.loads(t.read_text(encoding="utf-8")).get("Resources") or {})
        except (ValueError, AttributeError):
            pass  # unparsable: cfn-lint reports it, and checkov lists it as a parsing error
    log(
        f"checkov {tool_version('checkov')}: {scanned} of {expected} resource(s) scanned, {passed} passed, "
        f"{len(failed)} failed, {len(skipped)} skipped"
    )
    for c in sorted(failed, key=lambda c: (c["file_path"], c["file_line_range"])):
        first, last = c["file_line_range"]
        log(f"  FAIL {display(c['file_abs_path'])}:{first}-{last}  {c['check_id']}  {c['resource']}")
        log(f"       {shorten(c['check_name'])}")
    unexplained = 0
    for c in skipped:
        reason = skip_comment(Path(c["file_abs_path"]), c["resource"], c["check_id"])
        if reason:
            log(f"  skip {display(c['file_abs_path'])}  {c['check_id']}  {c['resource']}: {shorten(reason)}")
        else:
            # A justification names its reason.
            unexplained += 1
            log(f"  FAIL {display(c['file_abs_path'])}  {c['check_id']} (checkov)  {c['resource']}")
            log("       skipped without a reason: give `Metadata.checkov.skip` a `comment`")
    for p in parse_errors:
        log(f"  FAIL {display(p)}  checkov could not parse this template")
    problems = len(failed) + len(parse_errors) + unexplained
    if scanned < expected:
        # checkov silently ignores a file it does not recognize as CloudFormation.
        log(f"  FAIL checkov scanned {scanned} of {expected} resources: some templates were not recognized")
        problems += 1
    if result.returncode not in (0, 1) or (result.returncode == 1 and not problems):
        log(result.stderr[-2000:])
        usage_error(f"checkov exited {result.returncode} unexpectedly")
    return problems


def run_packs(templates: list[Path]) -> dict:
    """The report of scripts/lib/check_packs.js over `templates` (see there for its form)."""
    node = os.environ.get("NODE") or "node"
    result = run([node, str(PACKS_SCRIPT), str(TOOLS / "packs"), *map(str, templates)])
    try:
        report = json.loads(result.stdout) if result.returncode == 0 else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        log(result.stdout[-2000:] + result.stderr[-2000:])
        usage_error(f"the compliance packs failed to run (exit {result.returncode}; hint: run scripts/bootstrap-tools)")
        raise  # unreachable
    return report


def packs(templates: list[Path]) -> int:
    """Run the compliance packs; returns the number of unjustified findings and stale justifications."""
    report = run_packs(templates)
    findings, stale, unattributed = report["findings"], report["stale"], report["unattributed"]
    unjustified = [f for f in findings if "reason" not in f]
    versions = report["versions"]
    log(
        f"cdk-nag {versions['cdk-nag']} ({', '.join(report['packs'][:-1])}) and the Control Tower controls "
        f"(cdk-validator-cfnguard {versions['cdk-validator-cfnguard']}, cfn-guard {versions['cfn-guard']}): "
        f"{report['resources']} resource(s), {len(findings) + len(unattributed)} finding(s), "
        f"{len(findings) - len(unjustified)} justified, {len(unjustified) + len(unattributed)} unjustified, "
        f"{len(stale)} stale justification(s)"
    )
    for f in sorted(unjustified, key=lambda f: (f["file"], f["resource"], f["rule"])):
        log(f"  FAIL {display(f['file'])}  {f['rule']} ({f['pack']})  {f['resource']}")
        log(f"       {shorten(f['message'])}")
    for f in unattributed:
        log(f"  FAIL {f['rule']} ({f['pack']})  on no resource of the templates: {shorten(f['message'])}")
    for s in sorted(stale, key=lambda s: (s["file"], s["resource"], s["rule"])):
        log(f"  FAIL {display(s['file'])}  {s['rule']} ({s['checker']})  {s['resource']}")
        log("       the resource justifies a finding the checker does not make; remove the justification")
    # Justified findings, counted per rule and reason: one line each instead of one per resource.
    justified: dict[tuple[str, str], int] = {}
    for f in findings:
        if "reason" in f:
            justified[(f["rule"], f["reason"])] = justified.get((f["rule"], f["reason"]), 0) + 1
    for (rule, reason), count in sorted(justified.items()):
        log(f"  skip {count:3}x {rule}: {shorten(reason)}")
    return len(unjustified) + len(unattributed) + len(stale)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        log("usage: scripts/check-templates DIR...\n"
            "Runs cfn-lint, checkov and the compliance packs (cdk-nag, Control Tower) over every *.json template under each DIR.")
        return 0 if argv else 2
    templates = find_templates(argv)
    lint_failures = cfn_lint(templates)
    checkov_failures = checkov(templates)
    pack_failures = packs(templates)
    if lint_failures or checkov_failures or pack_failures:
        log(
            f"check-templates: FAILED: {lint_failures} cfn-lint finding(s), {checkov_failures} checkov failure(s), "
            f"{pack_failures} compliance pack failure(s) in {len(templates)} template(s)"
        )
        log(
            "  hint: fix the template; a deliberate exception belongs in fanout's table of justifications "
            "(crates/fanout/src/compliance.rs), which writes it into the resources that need it"
        )
        return 1
    log(f"check-templates: ok: {len(templates)} template(s) pass cfn-lint, checkov and the compliance packs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
