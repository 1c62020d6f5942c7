"""Routing: sector + region prefix -> agency (then unit), from a YAML or CSV table, with the reason."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import Agency, RoutingRule
from core.db import transaction
from core.errors import InputError

DEFAULT_FILE = Path(__file__).parent / "data" / "routing_default.yaml"
RULE_COLUMNS = ("sector", "region_prefix", "agency_code", "unit_code", "position", "note")
AGENCY_KEYS = ("code", "name", "parent", "region")
_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
_REGION = re.compile(r"^\d*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgencyRow:
    """An instansi or unit as written in a routing file."""

    code: str
    name: str
    parent: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRow:
    """One routing rule: `sector` ("*" for any) in regions starting with `region_prefix`."""

    sector: str
    region_prefix: str
    agency_code: str
    unit_code: str | None
    position: int
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingTable:
    """A parsed routing file: agencies (may be empty for CSV) and rules."""

    agencies: tuple[AgencyRow, ...]
    rules: tuple[RuleRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteChoice:
    """The suggested agency and unit, with the rule that chose them in words."""

    agency_code: str
    unit_code: str | None
    rule_text: str


def region_key(code: str | None) -> str:
    """Return a Kemendagri region code without dots or spaces ("35.78" -> "3578")."""
    return re.sub(r"[\s.]", "", code or "")


def load_rules(path: str | Path) -> RoutingTable:
    """Return the routing table in a YAML ({agencies, rules}) or CSV (rule columns) file.

    Raises InputError with a sentence naming the file, row and column that are wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"The routing file {path} does not exist.")
    if path.suffix.lower() in (".yaml", ".yml"):
        return _parse_yaml(path)
    if path.suffix.lower() == ".csv":
        return _parse_csv(path)
    raise InputError(f"The routing file {path} must end in .yaml, .yml or .csv.")


def _parse_yaml(path: Path) -> RoutingTable:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name} is not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(doc, Mapping) or set(doc) - {"agencies", "rules"}:
        raise InputError(f"{path.name} must be a mapping with the keys 'agencies' and 'rules'.")
    agencies = []
    for i, item in enumerate(doc.get("agencies") or [], start=1):
        where = f"{path.name}, agency {i}"
        entry = _entry(item, AGENCY_KEYS, ("code", "name"), where)
        agencies.append(
            AgencyRow(
                code=_code(entry["code"], "code", where),
                name=entry["name"],
                parent=_code(entry.get("parent"), "parent", where) if entry.get("parent") else None,
                region=region_key(entry.get("region")) or None,
            )
        )
    rules = []
    for i, item in enumerate(doc.get("rules") or [], start=1):
        where = f"{path.name}, rule {i}"
        rules.append(_rule(_entry(item, RULE_COLUMNS, ("sector", "agency_code"), where), i, where))
    table = RoutingTable(agencies=tuple(agencies), rules=tuple(rules))
    _check_references(table, path.name)
    return table


def _parse_csv(path: Path) -> RoutingTable:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        for column in header:
            if column not in RULE_COLUMNS:
                raise InputError(
                    f"{path.name} has an unknown column '{column}'; "
                    f"the columns are {', '.join(RULE_COLUMNS)}."
                )
        for column in ("sector", "agency_code"):
            if column not in header:
                raise InputError(f"{path.name} has no '{column}' column; it is required.")
        rules = []
        for i, raw in enumerate(reader, start=1):
            row = {k.strip(): v for k, v in raw.items() if k is not None}
            where = f"{path.name}, row {i + 1}"  # the header is line 1
            rules.append(
                _rule(_entry(row, RULE_COLUMNS, ("sector", "agency_code"), where), i, where)
            )
    return RoutingTable(agencies=(), rules=tuple(rules))


def _entry(item: Any, keys: Sequence[str], required: Sequence[str], where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise InputError(f"{where} must be a mapping with {', '.join(keys)}.")
    for key in item:
        if key not in keys:
            raise InputError(f"{where} has an unknown field '{key}'; fields: {', '.join(keys)}.")
    entry = {k: (str(v).strip() if v is not None else "") for k, v in item.items()}
    for key in required:
        if not entry.get(key):
            raise InputError(f"{where} has no '{key}'; it is required.")
    return entry


def _code(value: str | None, column: str, where: str) -> str:
    code = (value or "").strip().lower()
    if not _CODE.match(code):
        raise InputError(
            f"{where}: '{value}' in '{column}' is not a code (lower-case letters, digits, '-', "
            "'.', '_', up to 60)."
        )
    return code


def _rule(entry: Mapping[str, str], number: int, where: str) -> RuleRow:
    prefix = region_key(entry.get("region_prefix"))
    prefix = "" if prefix == "*" else prefix
    if not _REGION.match(prefix):
        raise InputError(f"{where}: region_prefix '{prefix}' must be digits of a region code.")
    position_text = entry.get("position") or ""
    if position_text and not position_text.lstrip("-").isdigit():
        raise InputError(f"{where}: position '{position_text}' must be a whole number.")
    sector = entry["sector"].strip().lower()
    return RuleRow(
        sector=sector if sector == "*" else _code(sector, "sector", where),
        region_prefix=prefix,
        agency_code=_code(entry["agency_code"], "agency_code", where),
        unit_code=_code(entry["unit_code"], "unit_code", where) if entry.get("unit_code") else None,
        position=int(position_text) if position_text else number,
        note=entry.get("note") or None,
    )


def _check_references(table: RoutingTable, name: str) -> None:
    codes = {a.code for a in table.agencies}
    for agency in table.agencies:
        if agency.parent and agency.parent not in codes:
            raise InputError(f"{name}: agency '{agency.code}' has an unknown parent.")
    for i, rule in enumerate(table.rules, start=1):
        for code in (rule.agency_code, rule.unit_code):
            if codes and code and code not in codes:
                raise InputError(f"{name}, rule {i}: '{code}' is not in the agencies list.")


def _agency_rows(table: RoutingTable) -> list[AgencyRow]:
    """Return the file's agencies, plus a bare row for every code only the rules name (CSV)."""
    rows = {a.code: a for a in table.agencies}
    for rule in table.rules:
        rows.setdefault(rule.agency_code, AgencyRow(code=rule.agency_code, name=rule.agency_code))
        if rule.unit_code:
            rows.setdefault(
                rule.unit_code,
                AgencyRow(code=rule.unit_code, name=rule.unit_code, parent=rule.agency_code),
            )
    return list(rows.values())


def import_agencies(factory: sessionmaker[Session], path: str | Path) -> tuple[int, int]:
    """Replace the agencies and routing rules with the file's, in one transaction.

    Returns (agencies, rules) counts. Raises InputError (nothing changed) when the file is wrong.
    """
    table = load_rules(path)
    agencies = _agency_rows(table)
    with transaction(factory) as session:
        session.execute(delete(RoutingRule))
        session.execute(delete(Agency))
        session.add_all(
            Agency(code=a.code, name=a.name, parent_code=a.parent, region_code=a.region)
            for a in agencies
        )
        session.add_all(
            RoutingRule(
                sector=r.sector,
                region_prefix=r.region_prefix,
                agency_code=r.agency_code,
                unit_code=r.unit_code,
                position=r.position,
                note=r.note,
            )
            for r in table.rules
        )
    return len(agencies), len(table.rules)


def load_default(factory: sessionmaker[Session]) -> tuple[int, int] | None:
    """Load the shipped default routing table when there are no rules yet.

    Returns the (agencies, rules) counts loaded, or None when rules were already there.
    """
    with factory() as session:
        if session.scalar(select(func.count()).select_from(RoutingRule)):
            return None
    return import_agencies(factory, DEFAULT_FILE)


def rule_text(rule: RuleRow | RoutingRule) -> str:
    """Return a rule in words: "infrastruktur + 3578 -> dinas-pu/bidang-jalan (rule 4)"."""
    target = f"{rule.agency_code}/{rule.unit_code}" if rule.unit_code else rule.agency_code
    return f"{rule.sector} + {rule.region_prefix or '*'} -> {target} (rule {rule.position})"


def choose(
    rules: Iterable[RuleRow | RoutingRule], sector: str, region_code: str | None
) -> RouteChoice | None:
    """Return the route for `sector` in `region_code` by the rules, or None when none matches.

    A rule for the sector beats a "*" rule; among those, the longest matching region prefix
    wins, then the lowest position. An empty prefix matches every region (and no region).
    """
    region = region_key(region_code)
    sector = (sector or "").strip().lower()
    matching = [
        r for r in rules if r.sector in (sector, "*") and region.startswith(r.region_prefix or "")
    ]
    if not matching:
        return None
    best = min(
        matching,
        key=lambda r: (r.sector == "*", -len(r.region_prefix or ""), r.position),
    )
    return RouteChoice(
        agency_code=best.agency_code, unit_code=best.unit_code, rule_text=rule_text(best)
    )


def suggest(session: Session, sector: str, region_code: str | None) -> RouteChoice | None:
    """Return the stored rules' route for `sector` in `region_code`, or None when none matches."""
    wanted = (sector or "").strip().lower()
    rules = session.scalars(
        select(RoutingRule)
        .where(RoutingRule.sector.in_((wanted, "*")))
        .order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    return choose(rules, wanted, region_code)
