"""serverless.yml as the workshop's Python tools read it: its `${file(...)}` parts included and the
`functions` and `resources` lists merged, as osls does, without running osls.

Local AWS (workshop/local_aws.py), the build tools, the slides and the notebooks read the
deployment from here, so the tables, queues, bucket and functions they make locally are the ones
serverless.yml declares. Other variables are left as written; self_reference() and stage_name()
fill in the two kinds the tools need.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from . import ROOT

SERVERLESS_YML = ROOT / "serverless.yml"
_FILE = re.compile(r"\$\{file\(([^)]+)\)(?::([\w.-]+))?\}")
_PARAM = re.compile(r"\$\{param:([\w-]+)\}")
_ENV = re.compile(r"\$\{env:(\w+), '([^']*)'\}")
_SELF = re.compile(r"\$\{self:([\w.-]+)\}")


class _CfnLoader(yaml.SafeLoader):
    """Reads serverless YAML, turning CloudFormation tags into their JSON form (!Ref X -> {"Ref": X})."""


def _cfn_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def _load(path: Path):
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)


def _address(value, address: str | None):
    for part in (address or "").split(".") if address else ():
        value = value[part]
    return value


def _include(value, service_dir: Path, params: dict):
    """Replace every string that is a whole `${file(path)}` or `${file(path):address}` by what
    it names, recursively (a part may include other parts); `${param:x}` in an address is the
    deployment's default param, `${env:X, 'default'}` the environment's X."""
    if isinstance(value, dict):
        return {key: _include(v, service_dir, params) for key, v in value.items()}
    if isinstance(value, list):
        return [_include(v, service_dir, params) for v in value]
    if isinstance(value, str):
        if "${file(" in value:  # an address may name a param or an environment variable
            value = _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), value)
            value = _ENV.sub(lambda m: os.environ.get(m.group(1), m.group(2)), value)
        if match := _FILE.fullmatch(value.strip()):
            path, address = match.groups()
            if not (service_dir / path).exists() and Path(path).parts[0] == "models":
                return value  # made by training (the car model's digest): not there yet
            return _include(_address(_load(service_dir / path), address), service_dir, params)
    return value


def _merge(base: dict, other: dict) -> dict:
    merged = dict(base)
    for key, value in other.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both else value
    return merged


def read_serverless_yml(path: Path = SERVERLESS_YML, service_dir: Path | None = None) -> dict:
    """The deployment with its parts included (paths relative to `service_dir`, by default the
    file's folder); `functions` and `resources` given as lists of maps are merged into one map
    each, as osls merges them."""
    doc = _load(path)
    doc = _include(doc, service_dir or path.parent, (doc.get("params") or {}).get("default") or {})
    for key in ("functions", "resources"):
        if isinstance(doc.get(key), list):
            merged: dict = {}
            for part in doc[key]:
                merged = _merge(merged, part)
            doc[key] = merged
    return doc


def self_reference(doc: dict, value):
    """`value` resolved when it is a whole `${self:a.b}` (as the queues' maxReceiveCount is)."""
    match = _SELF.fullmatch(value) if isinstance(value, str) else None
    return _address(doc, match.group(1)) if match else value


def stage_name(doc: dict, value: str, stage: str) -> str:
    """A name like `${self:service}-${sls:stage}-cars` for `stage`."""
    return value.replace("${self:service}", doc["service"]).replace("${sls:stage}", stage)
