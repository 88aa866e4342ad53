"""Read a pip-audit JSON report: list known vulnerabilities, and fail when nothing trustworthy
was audited (pip-audit itself exits 0 then). Used by `make audit`:

    .venv/bin/python -m scripts.audit_check REPORT.json

pip-audit reads https://pypi.org/pypi/<name>/<version>/json. Where that is not served (404) it
skips every package. Then this script falls back to the project-level
https://pypi.org/pypi/<name>/json, whose `vulnerabilities` are those of the project's latest
release only (`info.version`): a package installed at its latest release is audited with them,
an older one is reported as not audited. Exit 1 on any known vulnerability, or when fewer than
half of the packages could be audited; else 0.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from packaging.version import InvalidVersion, Version

PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
FETCH_TIMEOUT = 20.0  # seconds, per request
FETCH_WORKERS = 8
LOCAL_PROJECTS = frozenset({"kakehashi"})  # this project: installed editable, not on PyPI
SUMMARY_WIDTH = 160
OLDER = "older than the latest release, whose data is all this endpoint gives"
NOT_LATEST = "not the latest release, whose data is all this endpoint gives"

# A fetched project JSON (a dict) or, when the fetch failed, the error message (a str).
Answer = Mapping[str, Any] | str
Fetch = Callable[[str], Mapping[str, Any]]
Status = Literal["audited", "older", "not-latest", "unavailable"]


@dataclass(frozen=True)
class Vulnerability:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str  # first line of the summary (or of the details), possibly empty


@dataclass(frozen=True)
class Dependency:
    name: str
    version: str | None  # None: pip-audit's report did not say (e.g. an editable install)
    skip_reason: str | None  # None: pip-audit audited it
    vulns: tuple[Vulnerability, ...] = ()


@dataclass(frozen=True)
class Report:
    audited: tuple[Dependency, ...]  # audited by pip-audit
    skipped: tuple[Dependency, ...]  # skipped by pip-audit, the local project included


@dataclass(frozen=True)
class Verdict:
    name: str
    version: str
    status: Status
    vulns: tuple[Vulnerability, ...] = ()
    latest: str | None = None
    error: str | None = None


# --- pure: the report -------------------------------------------------------------------------

_SKIPPED_VERSION = re.compile(r"\(([^()\s]+)\)\s*$")


def first_line(text: str | None, width: int = SUMMARY_WIDTH) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    line = " ".join(line.split())  # also folds non-breaking spaces
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def merge_vulnerabilities(entries: Iterable[Vulnerability]) -> tuple[Vulnerability, ...]:
    """One Vulnerability per group of entries that share an identifier (id or alias), e.g. a
    GHSA and the PYSEC that names it as an alias. A group's first entry gives its id; groups
    keep the order of their first entries."""
    items = list(entries)
    parent = list(range(len(items)))

    def root(index: int) -> int:
        while parent[index] != index:
            index = parent[index]
        return index

    owner: dict[str, int] = {}
    for index, item in enumerate(items):
        for ident in (item.id, *item.aliases):
            if ident not in owner:
                owner[ident] = index
                continue
            first, second = sorted((root(owner[ident]), root(index)))
            parent[second] = first
    groups: dict[int, list[Vulnerability]] = {}
    for index, item in enumerate(items):
        groups.setdefault(root(index), []).append(item)
    merged = []
    for members in groups.values():
        primary = members[0].id
        ids = {ident for member in members for ident in (member.id, *member.aliases)}
        fixed = tuple(dict.fromkeys(version for member in members for version in member.fixed_in))
        summary = next((member.summary for member in members if member.summary), "")
        merged.append(Vulnerability(primary, tuple(sorted(ids - {primary})), fixed, summary))
    return tuple(merged)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def pip_audit_vulnerability(entry: Mapping[str, Any]) -> Vulnerability:
    """One entry of a dependency's `vulns` in pip-audit's JSON report."""
    return Vulnerability(
        id=str(entry["id"]),
        aliases=_strings(entry.get("aliases")),
        fixed_in=_strings(entry.get("fix_versions")),
        summary=first_line(entry.get("description")),
    )


def pypi_vulnerabilities(entries: Any) -> tuple[Vulnerability, ...]:
    """The `vulnerabilities` of a PyPI JSON answer, withdrawn ones left out, aliases merged."""
    return merge_vulnerabilities(
        Vulnerability(
            id=str(entry["id"]),
            aliases=_strings(entry.get("aliases")),
            fixed_in=_strings(entry.get("fixed_in")),
            summary=first_line(entry.get("summary") or entry.get("details")),
        )
        for entry in entries
        if isinstance(entry, Mapping) and entry.get("id") and not entry.get("withdrawn")
    )


def parse_report(data: Mapping[str, Any]) -> Report:
    """pip-audit's JSON report. A skipped dependency has no `version` field: it is read from the
    end of its skip_reason ("... could not be audited: numpy (2.3.5)"), when it is there."""
    audited: list[Dependency] = []
    skipped: list[Dependency] = []
    for entry in data["dependencies"]:
        name = str(entry["name"])
        if "skip_reason" in entry:
            reason = str(entry["skip_reason"])
            match = _SKIPPED_VERSION.search(reason)
            version = entry.get("version") or (match.group(1) if match else None)
            skipped.append(Dependency(name, version, reason))
        else:
            vulns = merge_vulnerabilities(
                pip_audit_vulnerability(v) for v in entry.get("vulns", [])
            )
            audited.append(Dependency(name, str(entry["version"]), None, vulns))
    return Report(tuple(audited), tuple(skipped))


def pip_audit_suffices(report: Report) -> bool:
    """Today's rule: pip-audit's own result stands when it audited most packages."""
    return len(report.audited) > len(report.skipped)


def is_local(dependency: Dependency) -> bool:
    """This project (editable, not on PyPI): neither audited nor counted."""
    return dependency.name in LOCAL_PROJECTS or dependency.version is None


def to_fetch(report: Report) -> list[Dependency]:
    """What the fallback looks up: every package pip-audit skipped, but the local project."""
    return [dependency for dependency in report.skipped if not is_local(dependency)]


# --- pure: one package against its project-level JSON -------------------------------------------


def _same_release(installed: str, latest: str) -> bool | None:
    """True when equal, False when older, None when neither (newer, a local build, unparsable)."""
    try:
        mine, theirs = Version(installed), Version(latest)
    except InvalidVersion:
        return True if installed == latest else None
    if mine == theirs:
        return True
    return False if mine < theirs else None


def decide(dependency: Dependency, answer: Answer) -> Verdict:
    """Audit one package from https://pypi.org/pypi/<name>/json (a dict), or say why not (a str:
    the fetch failed). Its `vulnerabilities` are those of `info.version` only."""
    name, version = dependency.name, dependency.version or "?"
    if isinstance(answer, str):
        return Verdict(name, version, "unavailable", error=answer)
    info = answer.get("info")
    latest = info.get("version") if isinstance(info, Mapping) else None
    entries = answer.get("vulnerabilities")
    if not isinstance(latest, str) or not isinstance(entries, list):
        return Verdict(name, version, "unavailable", error="no info.version or vulnerabilities")
    same = _same_release(version, latest)
    if same is None:
        return Verdict(name, version, "not-latest", latest=latest)
    if not same:
        return Verdict(name, version, "older", latest=latest)
    return Verdict(name, version, "audited", pypi_vulnerabilities(entries), latest=latest)


def from_pip_audit(dependency: Dependency) -> Verdict:
    return Verdict(dependency.name, dependency.version or "?", "audited", dependency.vulns)


# --- pure: output and exit code -----------------------------------------------------------------


def format_vulnerability(name: str, version: str, vuln: Vulnerability) -> str:
    aliases = f" ({', '.join(vuln.aliases)})" if vuln.aliases else ""
    fixed = f"fixed in {', '.join(vuln.fixed_in)}" if vuln.fixed_in else "no fixed release"
    summary = f": {vuln.summary}" if vuln.summary else ""
    return f"VULNERABLE {name} {version}: {vuln.id}{aliases}, {fixed}{summary}"


def vulnerability_lines(verdicts: Sequence[Verdict]) -> list[str]:
    return [format_vulnerability(v.name, v.version, vuln) for v in verdicts for vuln in v.vulns]


def count_vulnerabilities(verdicts: Sequence[Verdict]) -> int:
    return sum(len(verdict.vulns) for verdict in verdicts)


def summary_line(source: str, verdicts: Sequence[Verdict], not_audited: int) -> str:
    audited = sum(verdict.status == "audited" for verdict in verdicts)
    return (
        f"{source}: {audited} packages audited, {count_vulnerabilities(verdicts)} known "
        f"vulnerabilities, {not_audited} not audited"
    )


def fallback_lines(verdicts: Sequence[Verdict], local: Sequence[Dependency]) -> list[str]:
    """Everything the fallback prints, the summary line last."""
    lines = vulnerability_lines(verdicts)
    for verdict in verdicts:
        if verdict.status == "older":
            lines.append(
                f"not audited ({OLDER}): {verdict.name} {verdict.version} (latest {verdict.latest})"
            )
        elif verdict.status == "not-latest":
            lines.append(
                f"not audited ({NOT_LATEST}): {verdict.name} {verdict.version} "
                f"(latest {verdict.latest})"
            )
        elif verdict.status == "unavailable":
            url = PROJECT_JSON.format(name=verdict.name)
            lines.append(
                f"ERROR {verdict.name} {verdict.version}: could not read {url}: {verdict.error}"
            )
    if local:
        lines.append(
            "local project, not on PyPI, not audited: "
            + ", ".join(dependency.name for dependency in local)
        )
    not_audited = sum(verdict.status != "audited" for verdict in verdicts)
    lines.append(summary_line("pypi.org project JSON fallback", verdicts, not_audited))
    return lines


def too_few_audited(verdicts: Sequence[Verdict]) -> bool:
    """Fewer than half of the packages audited: nothing trustworthy."""
    audited = sum(verdict.status == "audited" for verdict in verdicts)
    return 2 * audited < len(verdicts)


def exit_code(verdicts: Sequence[Verdict]) -> int:
    return 1 if count_vulnerabilities(verdicts) or too_few_audited(verdicts) else 0


# --- I/O ----------------------------------------------------------------------------------------


def fetch_project(name: str, timeout: float = FETCH_TIMEOUT) -> Mapping[str, Any]:
    """GET https://pypi.org/pypi/<name>/json."""
    url = PROJECT_JSON.format(name=urllib.parse.quote(name, safe=""))
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "kakehashi-audit-check"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = json.load(response)
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    return data


def describe_error(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    if isinstance(error, TimeoutError):
        return f"no answer within {FETCH_TIMEOUT:g} s"
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON ({error})"
    return f"{type(error).__name__}: {error}"


def fetch_all(
    names: Sequence[str], fetch: Fetch = fetch_project, workers: int = FETCH_WORKERS
) -> dict[str, Answer]:
    """Each name's project JSON, or the error message when that fetch failed."""

    def one(name: str) -> Answer:
        try:
            return fetch(name)
        except Exception as error:  # one package's failure must not stop the others
            return describe_error(error)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def main(argv: Sequence[str], fetch: Fetch = fetch_project) -> int:
    if len(argv) != 1:
        print("usage: python -m scripts.audit_check PIP_AUDIT_REPORT.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        report = parse_report(json.load(handle))
    if pip_audit_suffices(report):
        verdicts = [from_pip_audit(dependency) for dependency in report.audited]
        for line in vulnerability_lines(verdicts):
            print(line)
        print(summary_line("pip-audit", verdicts, len(report.skipped)))
        if report.skipped:
            print(
                "not on PyPI, not audited: "
                + ", ".join(
                    f"{d.name} {d.version}" if d.version else d.name for d in report.skipped
                )
            )
        return 1 if count_vulnerabilities(verdicts) else 0

    pending = to_fetch(report)
    local = [dependency for dependency in report.skipped if is_local(dependency)]
    print(
        f"pip-audit audited {len(report.audited)} of "
        f"{len(report.audited) + len(report.skipped)} packages "
        "(https://pypi.org/pypi/<name>/<version>/json is unreachable or not served here). "
        f"Falling back to {PROJECT_JSON.format(name='<name>')}: it gives the known "
        "vulnerabilities of each project's latest release only.",
        flush=True,
    )
    answers = fetch_all([dependency.name for dependency in pending], fetch)
    verdicts = [from_pip_audit(dependency) for dependency in report.audited]
    verdicts += [decide(dependency, answers[dependency.name]) for dependency in pending]
    for line in fallback_lines(verdicts, local):
        print(line)
    if too_few_audited(verdicts):
        print(
            "Fewer than half of the packages could be audited: nothing trustworthy was audited. "
            "Run 'make audit' where pypi.org's JSON API answers.",
            file=sys.stderr,
        )
    if count_vulnerabilities(verdicts):
        print("Known vulnerabilities found: see the VULNERABLE lines above.", file=sys.stderr)
    return exit_code(verdicts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
