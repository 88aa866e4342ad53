"""scripts.audit_check: pip-audit's JSON report, and the fallback on PyPI's project-level JSON
(https://pypi.org/pypi/<name>/json), fed a saved report and fake PyPI answers: no network."""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from scripts import audit_check as ac

pytestmark = pytest.mark.unit


# As pip-audit 2.10 writes it where https://pypi.org/pypi/<name>/<version>/json answers 404:
# skipped dependencies carry no "version" field, only a skip_reason.
NOT_FOUND = "Dependency not found on PyPI and could not be audited: {} ({})"
SAVED_REPORT: dict[str, Any] = {
    "dependencies": [
        {"name": "chromadb", "skip_reason": NOT_FOUND.format("chromadb", "1.5.9")},
        {"name": "kakehashi", "skip_reason": "distribution marked as editable"},
        {"name": "numpy", "skip_reason": NOT_FOUND.format("numpy", "2.3.5")},
        {"name": "requests", "skip_reason": NOT_FOUND.format("requests", "2.32.5")},
        {"name": "torch", "skip_reason": NOT_FOUND.format("torch", "2.13.0+cpu")},
        {"name": "urllib3", "skip_reason": NOT_FOUND.format("urllib3", "2.5.0")},
    ],
    "fixes": [],
}

DETAILS_45829 = (
    "A pre-authentication, code injection vulnerability in version 1.0.0 or later of the "
    "ChromaDB Python project allows an unauthenticated attacker to run arbitrary code on the "
    "server by sending a malicious model repository and trust_remote_code set to true in the"
    "\u00a0/api/v2/tenants/{tenant}/databases/{db}/collections endpoint."
)


def pypi_vuln(ident: str, aliases: list[str], details: str = "", **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "aliases": aliases,
        "details": details,
        "fixed_in": [],
        "id": ident,
        "link": f"https://osv.dev/vulnerability/{ident}",
        "source": "osv",
        "summary": None,
        "withdrawn": None,
    }
    entry.update(fields)
    return entry


# Shaped like pypi.org's answers measured on the day (chromadb: 8 entries, 4 vulnerabilities).
CHROMADB_VULNS = [
    pypi_vuln("GHSA-f4j7-r4q5-qw2c", ["CVE-2026-45829", "PYSEC-2026-311"], DETAILS_45829),
    pypi_vuln("PYSEC-2026-311", ["CVE-2026-45829", "GHSA-f4j7-r4q5-qw2c"], DETAILS_45829),
    pypi_vuln("GHSA-2wm9-hf6c-p5cr", ["CVE-2026-45830"], "A lack of authorization validation."),
    pypi_vuln("GHSA-36p7-vc44-83pf", ["CVE-2026-45833"], "A code injection vulnerability."),
    pypi_vuln("GHSA-xph7-9rjv-w5fr", ["CVE-2026-45831"], "The SimpleRBAC provider."),
    pypi_vuln("PYSEC-2026-3814", ["CVE-2026-45833", "GHSA-36p7-vc44-83pf"], "A code injection."),
    pypi_vuln("PYSEC-2026-3815", ["CVE-2026-45831", "GHSA-xph7-9rjv-w5fr"], "SimpleRBAC."),
    pypi_vuln("PYSEC-2026-3813", ["CVE-2026-45830", "GHSA-2wm9-hf6c-p5cr"], "Authorization."),
]


def project(version: str, vulnerabilities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"info": {"name": "x", "version": version}, "vulnerabilities": vulnerabilities or []}


ANSWERS: dict[str, dict[str, Any]] = {
    "chromadb": project("1.5.9", CHROMADB_VULNS),
    "numpy": project("2.4.1"),
    "requests": project("2.32.5"),
    "torch": project("2.15.0"),
    "urllib3": project("2.5.0"),
}


def fake_fetch(answers: Mapping[str, Any]) -> Any:
    def fetch(name: str) -> Mapping[str, Any]:
        answer = answers[name]
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, Mapping)
        return answer

    return fetch


def no_fetch(name: str) -> Mapping[str, Any]:
    raise AssertionError(f"fetched {name} although pip-audit audited most packages")


def write_report(tmp_path: Path, report: Mapping[str, Any]) -> str:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return str(path)


def dependency(name: str, version: str | None = "1.0") -> Any:
    return ac.Dependency(name, version, "skipped")


# --- the report ---------------------------------------------------------------------------------


def test_parse_report_reads_the_version_of_a_skipped_package_from_its_skip_reason() -> None:
    report = ac.parse_report(SAVED_REPORT)
    assert report.audited == ()
    versions = {d.name: d.version for d in report.skipped}
    assert versions == {
        "chromadb": "1.5.9",
        "kakehashi": None,
        "numpy": "2.3.5",
        "requests": "2.32.5",
        "torch": "2.13.0+cpu",
        "urllib3": "2.5.0",
    }
    assert not ac.pip_audit_suffices(report)


def test_the_local_project_is_not_looked_up() -> None:
    names = [d.name for d in ac.to_fetch(ac.parse_report(SAVED_REPORT))]
    assert names == ["chromadb", "numpy", "requests", "torch", "urllib3"]


def test_parse_report_keeps_pip_audits_own_findings() -> None:
    report = ac.parse_report(
        {
            "dependencies": [
                {
                    "name": "jinja2",
                    "version": "3.1.4",
                    "vulns": [
                        {
                            "id": "GHSA-q2x7-8rv6-6q7h",
                            "fix_versions": ["3.1.5"],
                            "aliases": ["CVE-2024-56201"],
                            "description": "Jinja has a sandbox breakout.\nMore text.",
                        }
                    ],
                },
                {"name": "idna", "version": "3.10", "vulns": []},
            ],
            "fixes": [],
        }
    )
    assert ac.pip_audit_suffices(report)
    (vuln,) = report.audited[0].vulns
    assert vuln == ac.Vulnerability(
        "GHSA-q2x7-8rv6-6q7h", ("CVE-2024-56201",), ("3.1.5",), "Jinja has a sandbox breakout."
    )


# --- vulnerabilities ----------------------------------------------------------------------------


def test_aliases_are_merged_into_one_vulnerability_each() -> None:
    vulns = ac.pypi_vulnerabilities(CHROMADB_VULNS)
    assert [v.id for v in vulns] == [
        "GHSA-f4j7-r4q5-qw2c",
        "GHSA-2wm9-hf6c-p5cr",
        "GHSA-36p7-vc44-83pf",
        "GHSA-xph7-9rjv-w5fr",
    ]
    assert vulns[0].aliases == ("CVE-2026-45829", "PYSEC-2026-311")
    assert vulns[1].aliases == ("CVE-2026-45830", "PYSEC-2026-3813")
    assert all(v.fixed_in == () for v in vulns)


def test_entries_linked_only_through_a_later_entry_still_merge() -> None:
    vulns = ac.merge_vulnerabilities(
        [
            ac.Vulnerability("A", ("CVE-1",), ("1.1",), ""),
            ac.Vulnerability("B", ("CVE-2",), ("1.2",), "second"),
            ac.Vulnerability("C", ("CVE-1", "CVE-2"), ("1.1",), "third"),
        ]
    )
    assert vulns == (ac.Vulnerability("A", ("B", "C", "CVE-1", "CVE-2"), ("1.1", "1.2"), "second"),)


def test_withdrawn_entries_are_left_out() -> None:
    entries = [
        pypi_vuln("GHSA-aaaa", [], "kept", fixed_in=["2.0"]),
        pypi_vuln("GHSA-bbbb", [], "withdrawn", withdrawn="2026-01-01T00:00:00Z"),
    ]
    assert [v.id for v in ac.pypi_vulnerabilities(entries)] == ["GHSA-aaaa"]


def test_summary_is_the_first_line_of_summary_or_details() -> None:
    assert ac.first_line("\n  First line. \nSecond line.") == "First line."
    assert ac.first_line(None) == ""
    assert ac.first_line("a\u00a0b") == "a b"
    long = ac.first_line("x" * 500)
    assert len(long) == ac.SUMMARY_WIDTH and long.endswith("…")
    (vuln,) = ac.pypi_vulnerabilities([pypi_vuln("GHSA-cccc", [], "details", summary="Summary")])
    assert vuln.summary == "Summary"


def test_vulnerability_line() -> None:
    line = ac.format_vulnerability("chromadb", "1.5.9", ac.pypi_vulnerabilities(CHROMADB_VULNS)[0])
    assert line.startswith(
        "VULNERABLE chromadb 1.5.9: GHSA-f4j7-r4q5-qw2c (CVE-2026-45829, PYSEC-2026-311), "
        "no fixed release: A pre-authentication, code injection vulnerability"
    )
    fixed = ac.Vulnerability("PYSEC-1", (), ("1.2", "2.0"), "")
    assert (
        ac.format_vulnerability("x", "1.0", fixed) == "VULNERABLE x 1.0: PYSEC-1, fixed in 1.2, 2.0"
    )


# --- one package against its project-level JSON -------------------------------------------------


def test_the_latest_release_is_audited_with_the_endpoints_vulnerabilities() -> None:
    verdict = ac.decide(dependency("chromadb", "1.5.9"), ANSWERS["chromadb"])
    assert verdict.status == "audited"
    assert len(verdict.vulns) == 4
    clean = ac.decide(dependency("requests", "2.32.5"), ANSWERS["requests"])
    assert (clean.status, clean.vulns) == ("audited", ())


def test_versions_are_compared_as_versions() -> None:
    assert ac.decide(dependency("x", "1.0"), project("1.0.0")).status == "audited"
    assert ac.decide(dependency("x", "1.0.0rc1"), project("1.0.0")).status == "older"


def test_an_older_release_is_not_audited() -> None:
    verdict = ac.decide(dependency("numpy", "2.3.5"), project("2.4.1", CHROMADB_VULNS))
    assert (verdict.status, verdict.vulns, verdict.latest) == ("older", (), "2.4.1")


def test_a_local_build_or_a_newer_version_is_not_audited() -> None:
    for installed in ("2.15.0+cpu", "2.16.0"):
        verdict = ac.decide(dependency("torch", installed), project("2.15.0", CHROMADB_VULNS))
        assert (verdict.status, verdict.vulns) == ("not-latest", ())


def test_a_failed_fetch_or_an_unexpected_answer_is_not_audited() -> None:
    failed = ac.decide(dependency("x"), "HTTP 404 Not Found")
    assert (failed.status, failed.error) == ("unavailable", "HTTP 404 Not Found")
    assert ac.decide(dependency("x"), {"info": {"version": "1.0"}}).status == "unavailable"
    assert ac.decide(dependency("x"), {"vulnerabilities": []}).status == "unavailable"


# --- exit code ----------------------------------------------------------------------------------


def verdict(status: ac.Status, vulns: tuple[Any, ...] = ()) -> Any:
    return ac.Verdict("x", "1.0", status, vulns)


def test_exit_code() -> None:
    vuln = ac.Vulnerability("GHSA-x", (), (), "")
    assert ac.exit_code([verdict("audited"), verdict("older")]) == 0  # exactly half: enough
    assert ac.exit_code([verdict("audited"), verdict("audited", (vuln,))]) == 1
    assert ac.exit_code([verdict("audited"), verdict("older"), verdict("unavailable")]) == 1
    assert ac.exit_code([]) == 0


# --- fetching (injected) ------------------------------------------------------------------------


def test_fetch_all_reports_each_failure_and_keeps_the_rest() -> None:
    http_404 = urllib.error.HTTPError("https://pypi.org/pypi/gone/json", 404, "Not Found", {}, None)  # type: ignore[arg-type]
    answers = ac.fetch_all(
        ["ok", "gone", "offline", "slow", "odd"],
        fake_fetch(
            {
                "ok": project("1.0"),
                "gone": http_404,
                "offline": urllib.error.URLError("Name or service not known"),
                "slow": TimeoutError("timed out"),
                "odd": ValueError("the answer is not a JSON object"),
            }
        ),
        workers=3,
    )
    assert answers == {
        "ok": project("1.0"),
        "gone": "HTTP 404 Not Found",
        "offline": "Name or service not known",
        "slow": "no answer within 20 s",
        "odd": "ValueError: the answer is not a JSON object",
    }


# --- the whole script ---------------------------------------------------------------------------


def test_fallback_lists_vulnerabilities_and_unaudited_packages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = ac.main([write_report(tmp_path, SAVED_REPORT)], fake_fetch(ANSWERS))
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert code == 1
    assert lines[0].startswith("pip-audit audited 0 of 6 packages")
    assert sum(line.startswith("VULNERABLE chromadb 1.5.9: ") for line in lines) == 4
    assert (
        "not audited (older than the latest release, whose data is all this endpoint gives): "
        "numpy 2.3.5 (latest 2.4.1)"
    ) in lines
    assert (
        "not audited (older than the latest release, whose data is all this endpoint gives): "
        "torch 2.13.0+cpu (latest 2.15.0)"
    ) in lines
    assert "local project, not on PyPI, not audited: kakehashi" in lines
    assert lines[-1] == (
        "pypi.org project JSON fallback: 3 packages audited, 4 known vulnerabilities, 2 not audited"
    )
    assert "Known vulnerabilities found" in out.err


def test_fallback_passes_when_the_latest_releases_are_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = {**ANSWERS, "chromadb": project("1.5.9")}
    assert ac.main([write_report(tmp_path, SAVED_REPORT)], fake_fetch(answers)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "pypi.org project JSON fallback: 3 packages audited, 0 known vulnerabilities, 2 not audited"
    )


def test_fallback_fails_when_fewer_than_half_could_be_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers: dict[str, Any] = {name: TimeoutError() for name in ANSWERS}
    answers["requests"] = project("2.32.5")
    assert ac.main([write_report(tmp_path, SAVED_REPORT)], fake_fetch(answers)) == 1
    out = capsys.readouterr()
    assert (
        "ERROR numpy 2.3.5: could not read https://pypi.org/pypi/numpy/json: no answer within 20 s"
    ) in out.out.splitlines()
    assert out.out.splitlines()[-1].endswith(
        "1 packages audited, 0 known vulnerabilities, 4 not audited"
    )
    assert "Fewer than half of the packages could be audited" in out.err


PIP_AUDIT_OK: dict[str, Any] = {
    "dependencies": [
        {"name": "idna", "version": "3.10", "vulns": []},
        {"name": "requests", "version": "2.32.5", "vulns": []},
        {"name": "kakehashi", "skip_reason": "distribution marked as editable"},
    ],
    "fixes": [],
}


def test_pip_audits_own_result_stands_when_it_audited_most_packages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ac.main([write_report(tmp_path, PIP_AUDIT_OK)], no_fetch) == 0
    assert capsys.readouterr().out.splitlines() == [
        "pip-audit: 2 packages audited, 0 known vulnerabilities, 1 not audited",
        "not on PyPI, not audited: kakehashi",
    ]
    vulnerable = json.loads(json.dumps(PIP_AUDIT_OK))
    vulnerable["dependencies"][0]["vulns"] = [
        {"id": "PYSEC-2024-60", "fix_versions": ["3.7"], "aliases": ["CVE-2024-3651"]}
    ]
    assert ac.main([write_report(tmp_path, vulnerable)], no_fetch) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "VULNERABLE idna 3.10: PYSEC-2024-60 (CVE-2024-3651), fixed in 3.7"
    )
