"""Routing: YAML/CSV tables, most specific prefix, position, "*" fallback, the rule in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import Agency, RoutingRule
from core.errors import InputError
from handler.routing import DEFAULT_FILE, import_agencies, load_default, load_rules, suggest

YAML = """
agencies:
  - {code: pemkot-sby, name: Pemerintah Kota Surabaya, region: "35.78"}
  - {code: dinas-pu, name: Dinas PU Bina Marga, parent: pemkot-sby, region: "3578"}
  - {code: bidang-jalan, name: Bidang Jalan dan Jembatan, parent: dinas-pu}
  - {code: bidang-drainase, name: Bidang Drainase, parent: dinas-pu}
  - {code: dinas-pu-jatim, name: Dinas PU Bina Marga Provinsi Jawa Timur, region: "35"}
  - {code: diskominfo, name: Diskominfo}
rules:
  - {sector: infrastruktur, region_prefix: "35", agency_code: dinas-pu-jatim, position: 1}
  - {sector: infrastruktur, region_prefix: "3578", agency_code: dinas-pu, unit_code: bidang-drainase, position: 5}
  - {sector: "*", region_prefix: "3578", agency_code: pemkot-sby, position: 2}
  - {sector: infrastruktur, region_prefix: "35.78", agency_code: dinas-pu, unit_code: bidang-jalan, position: 4}
  - {sector: "*", agency_code: diskominfo, position: 99}
"""


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(YAML, encoding="utf-8")
    return path


def test_most_specific_prefix_then_lowest_position_wins(
    factory: sessionmaker[Session], table: Path
) -> None:
    assert import_agencies(factory, table) == (6, 5)
    with factory() as session:
        in_city = suggest(session, "infrastruktur", "35.78.01.1001")
        in_province = suggest(session, "Infrastruktur", "3501")
    assert (in_city.agency_code, in_city.unit_code) == ("dinas-pu", "bidang-jalan")  # type: ignore[union-attr]
    assert in_city.rule_text == "infrastruktur + 3578 -> dinas-pu/bidang-jalan (rule 4)"  # type: ignore[union-attr]
    assert in_province.rule_text == "infrastruktur + 35 -> dinas-pu-jatim (rule 1)"  # type: ignore[union-attr]


def test_the_star_sector_is_the_fallback(factory: sessionmaker[Session], table: Path) -> None:
    import_agencies(factory, table)
    with factory() as session:
        city = suggest(session, "kesehatan", "3578")
        anywhere = suggest(session, "kesehatan", None)
    assert city is not None and city.rule_text == "* + 3578 -> pemkot-sby (rule 2)"
    assert anywhere is not None and anywhere.agency_code == "diskominfo"


def test_no_rule_no_route(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        assert suggest(session, "infrastruktur", "3578") is None


def test_import_replaces_the_table(
    factory: sessionmaker[Session], table: Path, tmp_path: Path
) -> None:
    import_agencies(factory, table)
    csv_path = tmp_path / "rules.csv"
    csv_path.write_text(
        "sector,region_prefix,agency_code,unit_code,position,note\n"
        "kependudukan,3578,dispendukcapil,,1,KTP-el dan KK\n"
        "infrastruktur,,dinas-pu,bidang-jalan,,\n",
        encoding="utf-8",
    )
    # CSV rules bring their agencies and units as bare codes.
    assert import_agencies(factory, csv_path) == (3, 2)
    with factory() as session:
        codes = set(session.scalars(select(Agency.code)))
        unit = session.get(Agency, "bidang-jalan")
        route = suggest(session, "infrastruktur", "3578")
    assert codes == {"dispendukcapil", "dinas-pu", "bidang-jalan"}
    assert unit is not None and unit.parent_code == "dinas-pu"
    assert (
        route is not None
        and route.rule_text == "infrastruktur + * -> dinas-pu/bidang-jalan (rule 2)"
    )


def test_a_wrong_csv_column_is_named_and_nothing_changes(
    factory: sessionmaker[Session], table: Path, tmp_path: Path
) -> None:
    import_agencies(factory, table)
    bad = tmp_path / "rules.csv"
    bad.write_text("sector,region,agency_code\ninfrastruktur,3578,dinas-pu\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_agencies(factory, bad)
    assert str(err.value) == (
        "rules.csv has an unknown column 'region'; the columns are "
        "sector, region_prefix, agency_code, unit_code, position, note."
    )
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(RoutingRule)) == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sector,region_prefix\ninfrastruktur,35\n", "has no 'agency_code' column"),
        ("sector,agency_code\ninfrastruktur,\n", "rules.csv, row 2 has no 'agency_code'"),
        ("sector,agency_code,region_prefix\ninfrastruktur,dinas-pu,35a\n", "must be digits"),
        ("sector,agency_code,position\ninfrastruktur,dinas-pu,first\n", "whole number"),
        ("sector,agency_code\ninfrastruktur,Dinas PU!\n", "is not a code"),
    ],
)
def test_csv_errors_say_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        load_rules(path)


def test_yaml_errors_say_what_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("agencies: [{code: a, name: A}]\nrules: [{sector: x, agency_code: b}]\n")
    with pytest.raises(InputError, match="r.yaml, rule 1: 'b' is not in the agencies list"):
        load_rules(path)
    path.write_text("rules: [{sector: x, agency: a}]\n")
    with pytest.raises(InputError, match="r.yaml, rule 1 has an unknown field 'agency'"):
        load_rules(path)
    other = tmp_path / "routing.txt"
    other.write_text("sector,agency_code\n", encoding="utf-8")
    with pytest.raises(InputError, match="must end in .yaml, .yml or .csv"):
        load_rules(other)


def test_the_default_table_routes_every_default_sector(factory: sessionmaker[Session]) -> None:
    sectors = (
        "infrastruktur kependudukan sosial pendidikan kesehatan energi keuangan_aset pertanian "
        "kepegawaian lingkungan ekonomi_industri bencana pariwisata_budaya lainnya"
    ).split()
    assert load_default(factory) is not None
    assert load_default(factory) is None  # rules present: left alone
    with factory() as session:
        routes = {s: suggest(session, s, "3578") for s in sectors}
    assert all(r is not None and r.rule_text.startswith(f"{s} + *") for s, r in routes.items())
    assert routes["kependudukan"].agency_code == "disdukcapil"  # type: ignore[union-attr]
    assert load_rules(DEFAULT_FILE).rules[-1].sector == "*"
