"""`make scan`: the offline policy scanners on the deployment; one finding a line, exit 1 on any.

    .cache/scan-venv/bin/python workshop/policy_scan.py TEMPLATE [SERVERLESS_YML]

Run with the scanner venv's python (requirements/scan.txt: checkov, cfn-lint with
cfn-lint-serverless, parliament; they pin what the project's venv cannot share). TEMPLATE is what
`sls package` writes (.serverless/cloudformation-template-update-stack.json).

  checkov     the template (--framework cloudformation), and serverless.yml (--framework
              serverless) with its deployment/ parts included (workshop/serverless_config.py)
  cfn-lint    the template, with cfn-lint-serverless's rules (-a cfn_lint_serverless.rules)
  parliament  every role's inline policies, their intrinsics (Ref, Fn::GetAtt, Fn::Join,
              Fn::Sub) resolved to the ARNs CloudFormation would make

A finding stays only with its reason, inline in the deployment: `Metadata: {checkov: {skip:
[{id, comment}]}}` and `Metadata: {cfn-lint: {config: {ignore_checks: [...]}}}` on our resources,
and under `resources.extensions` for what osls generates (deployment/custom.yml scanSkips). A
checkov skip without a comment is itself a finding. checkov's serverless scan reads skips only as
`# checkov:skip=ID: reason` comments, so the included serverless.yml it scans is written with
those comments, from the same Metadata.

Output: TOOL<TAB>CHECK<TAB>RESOURCE<TAB>MESSAGE on stdout; timings and counts on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
# checkov: no Prisma Cloud downloads and no version check (the scan is offline).
OFFLINE = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}

findings: set[tuple[str, str, str, str]] = set()


def finding(tool: str, check: str, resource: str, message: str) -> None:
    findings.add((tool, check, resource, " ".join(str(message).split())))


def checkov(path: Path, framework: str) -> None:
    command = [BIN / "checkov", "-f", str(path), "--framework", framework, "-o", "json", "--skip-download"]
    result = subprocess.run(command, capture_output=True, text=True, env=OFFLINE, check=False)
    tool = f"checkov:{framework}"
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        finding(tool, "RUN", path.name, f"exit {result.returncode}: {result.stderr[-500:]}")
        return
    for report in reports if isinstance(reports, list) else [reports]:
        summary = report.get("summary", {})
        if not summary.get("passed") and not summary.get("failed"):
            finding(tool, "EMPTY", path.name, "checkov found nothing to check (were the resources parsed?)")
        if summary.get("parsing_errors"):
            finding(tool, "PARSE", path.name, f"{summary['parsing_errors']} parsing error(s)")
        results = report.get("results", {})
        for r in results.get("failed_checks", []):
            finding(tool, r["check_id"], r["resource"], r["check_name"])
        for r in results.get("skipped_checks", []):
            comment = (r.get("check_result") or {}).get("suppress_comment", "")
            if not comment or comment == "No comment provided":
                finding(tool, r["check_id"], r["resource"], "skipped without a comment")
        print(
            f"#   {tool}: passed {summary.get('passed', 0)}, failed {summary.get('failed', 0)}, "
            f"skipped {summary.get('skipped', 0)}",
            file=sys.stderr,
        )


def cfn_lint(template: Path, region: str) -> None:
    command = [BIN / "cfn-lint", "-a", "cfn_lint_serverless.rules", "--regions", region, "--format", "json"]
    result = subprocess.run([*command, "--", str(template)], capture_output=True, text=True, check=False)
    try:
        matches = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        matches = None
    if matches is None or (result.returncode and not matches):
        finding("cfn-lint", "RUN", template.name, f"exit {result.returncode}: {result.stderr[-500:]}")
        return
    for match in matches:
        path = match.get("Location", {}).get("Path") or []
        resource = path[1] if len(path) > 1 and path[0] == "Resources" else "/".join(map(str, path))
        finding("cfn-lint", match["Rule"]["Id"], resource, match["Message"])


# -- serverless.yml, as checkov's serverless scan reads it ---------------------------------------


def serverless_for_checkov(path: Path, out: Path) -> Path:
    """serverless.yml with its parts included, each resource's checkov skips as comments."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from workshop.serverless_config import read_serverless_yml

    config = read_serverless_yml(path, service_dir=ROOT)
    lines = yaml.safe_dump(config, sort_keys=False, width=1000).splitlines()
    resources = config.get("resources", {}).get("Resources", {})
    written, current = [], None
    for line in lines:
        written.append(line)
        if (match := re.fullmatch(r"    (\w+):", line)) and match.group(1) in resources:
            current = match.group(1)
        elif current and line.startswith("      Type:"):  # checkov reads skips inside the resource
            for skip in resources[current].get("Metadata", {}).get("checkov", {}).get("skip", []):
                comment = " ".join(skip.get("comment", "").split())
                written.append(f"      # checkov:skip={skip['id']}: {comment}")
            current = None
    out.write_text("\n".join(written) + "\n")
    return out


# -- parliament ----------------------------------------------------------------------------------


class Unresolvable(Exception):
    pass


#: type -> (the property naming it, its ARN pattern, what Ref gives)
TYPES = {
    "AWS::DynamoDB::Table": ("TableName", "arn:aws:dynamodb:{r}:{a}:table/{n}", "name"),
    "AWS::S3::Bucket": ("BucketName", "arn:aws:s3:::{n}", "name"),
    "AWS::SQS::Queue": ("QueueName", "arn:aws:sqs:{r}:{a}:{n}", "url"),
    "AWS::Logs::LogGroup": ("LogGroupName", "arn:aws:logs:{r}:{a}:log-group:{n}:*", "name"),
}


class Resolver:
    """A template's intrinsics as the strings CloudFormation would make of them."""

    def __init__(self, template: dict, stack: str, region: str):
        self.resources, self.stack, self.region = template.get("Resources", {}), stack, region
        self.pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": stack,
        }

    def _kind(self, logical_id: str) -> tuple:
        kind = self.resources.get(logical_id, {}).get("Type")
        if kind not in TYPES:
            raise Unresolvable(f"{logical_id} ({kind}): no ARN pattern")
        return TYPES[kind]

    def name(self, logical_id: str) -> str:
        prop, _, _ = self._kind(logical_id)
        props = self.resources[logical_id].get("Properties", {})
        return (
            self.resolve(props[prop]) if prop in props else f"{self.stack}-{logical_id}-abcdef012345".lower()
        )

    def arn(self, logical_id: str) -> str:
        _, pattern, _ = self._kind(logical_id)
        return pattern.format(r=self.region, a=ACCOUNT, n=self.name(logical_id))

    def ref(self, target: str) -> str:
        if target in self.pseudo:
            return self.pseudo[target]
        _, _, gives = self._kind(target)
        return (
            f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{self.name(target)}"
            if gives == "url"
            else self.name(target)
        )

    def resolve(self, node):
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                if attribute != "Arn":
                    raise Unresolvable(f"Fn::GetAtt {logical_id}.{attribute}")
                return self.arn(logical_id)
            if key == "Fn::Join":
                return self.resolve(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self.ref(m.group(1))), arg)
            if key.startswith("Fn::"):
                raise Unresolvable(f"{key} is not resolved here")
        return {k: self.resolve(v) for k, v in node.items()}


def parliament(template: dict, stack: str, region: str) -> None:
    import warnings

    with warnings.catch_warnings():  # pkg_resources' deprecation, invalid escapes in its regexes
        warnings.simplefilter("ignore")
        import parliament as p
        from parliament.cli import is_finding_filtered

    p.override_config(Path(p.__file__).parent / "community_auditors" / "config_override.yaml")
    resolver = Resolver(template, stack, region)
    roles = statements = 0
    for role, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        roles += 1
        for policy in resource.get("Properties", {}).get("Policies", []):
            try:
                document = resolver.resolve(policy["PolicyDocument"])
            except Unresolvable as e:
                finding("parliament", "UNRESOLVED", role, f"policy {policy['PolicyName']}: {e}")
                continue
            statements += len(document.get("Statement", []))
            analysed = p.analyze_policy_string(
                json.dumps(document), filepath=role, include_community_auditors=True, config=p.config
            )
            for f in analysed.findings:
                p.enhance_finding(f)
                if not is_finding_filtered(f, "LOW"):
                    finding(
                        "parliament",
                        f.issue,
                        role,
                        f"policy {policy['PolicyName']}: {f.title}: {f.detail or ''}",
                    )
    print(f"#   parliament: {roles} roles, {statements} statements", file=sys.stderr)


def timed(label: str, run) -> None:
    started = time.monotonic()
    run()
    print(f"# {label}: {time.monotonic() - started:.1f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("serverless_yml", type=Path, nargs="?", default=ROOT / "serverless.yml")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", default="eu-central-1")
    args = parser.parse_args(argv)
    template = json.loads(args.template.read_text())
    service = re.search(r"^service:\s*(\S+)", args.serverless_yml.read_text(), re.MULTILINE)
    stack = f"{service.group(1)}-{args.stage}"
    with tempfile.TemporaryDirectory() as tmp:
        included = serverless_for_checkov(args.serverless_yml, Path(tmp) / "serverless.yml")
        timed("checkov cloudformation", lambda: checkov(args.template, "cloudformation"))
        timed("checkov serverless", lambda: checkov(included, "serverless"))
    timed("cfn-lint with the serverless rules", lambda: cfn_lint(args.template, args.region))
    timed("parliament", lambda: parliament(template, stack, args.region))
    for line in sorted(findings):
        print("\t".join(line))
    print(f"# {len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
