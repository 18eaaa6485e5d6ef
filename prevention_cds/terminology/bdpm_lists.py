"""French products in the ValueSets: the BDPM specialties (CIS) and their boxes (CIP13) whose composition holds one
of a ValueSet's substances, by a route that reaches the blood (or by any route, for the allergen lists).

French records code a medicine by its product, not by its ATC code or ingredient: without these codes a
MedicationStatement of BIKTARVY coded by its CIS alone would never meet the rifampicin contraindication. The
substances of each ValueSet are in ``bdpm-substances.json``; the products come from the public BDPM files of the
ANSM (``CIS_bdpm.txt``, ``CIS_COMPO_bdpm.txt``, ``CIS_CIP_bdpm.txt``; Licence Ouverte). A product no longer
marketed is kept: records name it for years. Written again when the files are refreshed:

    python -m prevention_cds.terminology.bdpm_lists BDPM_FOLDER --published "May 2026"

The run replaces the BDPM and CIP13 includes of the ValueSets it lists and leaves every other include as it is.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prevention_cds.terminology.index import BDPM, CIP_UCD

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "package"
SUBSTANCES = HERE / "bdpm-substances.json"
GENERATED = " French products: "  # the sentence of a ValueSet's description this module writes, to its end


@dataclass(frozen=True)
class BdpmProduct:
    cis: str
    name: str
    routes: frozenset[str]
    substances: frozenset[str]  # normalised (``normalise``)
    boxes: tuple[tuple[str, str], ...]  # (CIP13, label)


@dataclass(frozen=True)
class ProductList:
    valueset: str
    substances: tuple[str, ...]
    routes: frozenset[str] | None  # None: any route
    # a substance that makes a product a member only beside one of these (a progestogen in a combined pill)
    only_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    products: frozenset[str] = frozenset()  # CIS members whatever their composition (one product of a substance)
    excluded: frozenset[str] = frozenset()  # CIS never members (a hormone replacement sharing a pill's progestogen)

    def holds(self, product: BdpmProduct) -> bool:
        if product.cis in self.products:
            return True
        if product.cis in self.excluded or (self.routes is not None and not product.routes & self.routes):
            return False
        return any(self._counts(substance, product) for substance in self.substances)

    def _counts(self, substance: str, product: BdpmProduct) -> bool:
        if not any(_names(substance, name) for name in product.substances):
            return False
        partners = self.only_with.get(substance)
        return partners is None or any(_names(p, name) for p in partners for name in product.substances)


def normalise(name: str) -> str:
    """Upper case without accents, single spaces: 'Chlorhydrate de méthadone' -> 'CHLORHYDRATE DE METHADONE'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.upper().split())


def _names(substance: str, name: str) -> bool:
    # whole words: ESTRADIOL is not ETHINYLESTRADIOL, CITALOPRAM not ESCITALOPRAM; homeopathic stocks are not doses
    return "HOMEOPATHIQUE" not in name and re.search(rf"(?<![A-Z]){re.escape(substance)}(?![A-Z])", name) is not None


def read_lists(path: Path = SUBSTANCES) -> list[ProductList]:
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    routes = {kind: frozenset(names) or None for kind, names in spec["routes"].items()}
    return [
        ProductList(
            valueset,
            tuple(normalise(s) for s in [*entry["substances"], *entry.get("only_with", {})]),
            routes[entry["routes"]],
            {normalise(s): tuple(normalise(p) for p in partners) for s, partners in entry.get("only_with", {}).items()},
            frozenset(entry.get("products", {})),
            frozenset(entry.get("excluded", {})),
        )
        for valueset, entry in spec["valuesets"].items()
    ]


def _rows(path: Path) -> Iterable[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # the BDPM has shipped its files in both encodings
    for line in text.splitlines():
        if line.strip():
            yield [field.strip() for field in line.split("\t")]


def read_bdpm(folder: Path) -> list[BdpmProduct]:
    """Every specialty of the BDPM files in ``folder``, with its routes, its substances and its boxes."""
    substances: dict[str, set[str]] = defaultdict(set)
    for row in _rows(folder / "CIS_COMPO_bdpm.txt"):
        if len(row) > 3:
            substances[row[0]].add(normalise(row[3]))
    boxes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    cip_file = folder / "CIS_CIP_bdpm.txt"
    for row in _rows(cip_file) if cip_file.exists() else ():
        if len(row) > 6 and re.fullmatch(r"\d{13}", row[6]):
            boxes[row[0]].append((row[6], row[2]))
    products = []
    for row in _rows(folder / "CIS_bdpm.txt"):
        if len(row) > 3 and re.fullmatch(r"\d{8}", row[0]):
            routes = frozenset(r.strip() for r in row[3].split(";") if r.strip())
            products.append(BdpmProduct(row[0], row[1], routes, frozenset(substances.get(row[0], ())),
                                        tuple(sorted(boxes.get(row[0], ())))))
    return products


def members(products: Sequence[BdpmProduct], product_list: ProductList) -> list[BdpmProduct]:
    return sorted((p for p in products if product_list.holds(p)), key=lambda p: p.cis)


def with_products(valueset: dict[str, Any], held: Sequence[BdpmProduct], published: str) -> dict[str, Any]:
    """``valueset`` with its BDPM and CIP13 includes replaced by ``held`` (none when it holds none)."""
    kept = [i for i in valueset["compose"]["include"] if i.get("system") not in (BDPM, CIP_UCD)]
    if held:
        kept.append({"system": BDPM, "concept": [{"code": p.cis, "display": p.name} for p in held]})
        boxes = sorted((cip, f"{p.name} — {label}") for p in held for cip, label in p.boxes)
        if boxes:
            kept.append({"system": CIP_UCD, "concept": [{"code": c, "display": d} for c, d in boxes]})
    description = valueset["description"].split(GENERATED)[0]
    sentence = (f"{GENERATED}{len(held)} specialties (BDPM CIS) and their boxes (CIP13), "
                f"from the BDPM files of {published}.")
    return {**valueset, "description": description + sentence, "compose": {**valueset["compose"], "include": kept}}


def write(products: Sequence[BdpmProduct], lists: Iterable[ProductList], published: str,
          package: Path = PACKAGE) -> Mapping[str, int]:
    """Writes each listed ValueSet of ``package`` again; returns how many specialties each holds."""
    counts = {}
    for product_list in lists:
        path = package / f"ValueSet-{product_list.valueset}.json"
        held = members(products, product_list)
        document = with_products(json.loads(path.read_text(encoding="utf-8")), held, published)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        counts[product_list.valueset] = len(held)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder with CIS_bdpm.txt, CIS_COMPO_bdpm.txt, CIS_CIP_bdpm.txt")
    parser.add_argument("--published", required=True, help="when the BDPM published these files, as the "
                        "descriptions say it (\"May 2026\")")
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(message)s")
    counts = write(read_bdpm(args.folder), read_lists(), args.published)
    for valueset, count in counts.items():
        logger.info("%s: %d specialties", valueset, count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
