"""Read a pip-audit JSON report: list known vulnerabilities, and fail when most packages could
not be audited at all (pip-audit itself exits 0 then). Used by `make audit`."""

import json
import sys

with open(sys.argv[1], encoding="utf-8") as report:
    deps = json.load(report)["dependencies"]
audited = [d for d in deps if "skip_reason" not in d]
skipped = [d for d in deps if "skip_reason" in d]
found = [(d, v) for d in audited for v in d.get("vulns", [])]
for d, v in found:
    fixed = ", ".join(v.get("fix_versions") or []) or "no fixed release"
    print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in {fixed})")
print(
    f"pip-audit: {len(audited)} packages audited, {len(found)} known vulnerabilities, "
    f"{len(skipped)} not audited"
)
if len(audited) <= len(skipped):
    sys.exit(
        "pip-audit could not read PyPI's vulnerability data for most packages "
        "(https://pypi.org/pypi/<name>/<version>/json is unreachable or not served here): "
        "nothing trustworthy was audited. Run 'make audit' where pypi.org's JSON API answers."
    )
if skipped:
    print("not on PyPI, not audited: " + ", ".join(f"{d['name']} {d['version']}" for d in skipped))
sys.exit(1 if found else 0)
