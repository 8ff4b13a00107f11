"""Placing a record in its neighbourhood: by id, by name, by point in polygon, or by an area look-up."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from connectors.rejections import Reason, RecordRejected
from engage.errors import ConfigurationError


def normalise_name(name: str) -> str:
    """Names compare without case, apostrophes, punctuation or the word 'and' vs '&'."""
    name = re.sub(r"['\u2019`]", "", name.lower()).replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", name).strip()


@dataclass(frozen=True)
class Neighbourhood:
    id: str
    name: str


class Neighbourhoods:
    """The configured neighbourhood boundaries, indexed for the three kinds of look-up."""

    def __init__(self, features: list[tuple[Neighbourhood, Any]]) -> None:
        if not features:
            raise ConfigurationError("the boundaries hold no neighbourhoods; give a GeoJSON with polygons")
        self.all: tuple[Neighbourhood, ...] = tuple(n for n, _ in features)
        self._by_id = {n.id: n for n in self.all}
        self._by_name = {normalise_name(n.name): n for n in self.all}
        self._geometries = [geometry for _, geometry in features]
        for geometry in self._geometries:
            shapely.prepare(geometry)
        self._tree = STRtree(self._geometries)

    @classmethod
    def from_geojson(
        cls, document: Mapping[str, Any], id_property: str, name_property: str
    ) -> Neighbourhoods:
        features: list[tuple[Neighbourhood, Any]] = []
        for index, feature in enumerate(document.get("features", [])):
            props = feature.get("properties") or {}
            if id_property not in props or name_property not in props:
                raise ConfigurationError(
                    f"boundary feature {index} lacks property {id_property!r} or {name_property!r}; "
                    "set ENGAGE_BOUNDARY_ID_PROPERTY and ENGAGE_BOUNDARY_NAME_PROPERTY to the file's names"
                )
            features.append(
                (
                    Neighbourhood(str(props[id_property]), str(props[name_property])),
                    shape(feature["geometry"]),
                )
            )
        return cls(features)

    @classmethod
    def load(cls, path: Path, id_property: str, name_property: str) -> Neighbourhoods:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(
                f"cannot read neighbourhood boundaries from {path}: {exc}; set ENGAGE_BOUNDARIES_PATH"
            ) from exc
        return cls.from_geojson(document, id_property, name_property)

    def shapes(self) -> tuple[tuple[Neighbourhood, Any], ...]:
        """Each neighbourhood with its (shapely) boundary, in the boundaries' order: for drawing maps."""
        return tuple(zip(self.all, self._geometries, strict=True))

    def by_id(self, neighbourhood_id: str) -> Neighbourhood:
        try:
            return self._by_id[neighbourhood_id]
        except KeyError:
            raise RecordRejected(
                Reason.UNKNOWN_NEIGHBOURHOOD, f"no neighbourhood has id {neighbourhood_id!r}"
            ) from None

    def by_name(self, name: str) -> Neighbourhood:
        try:
            return self._by_name[normalise_name(name)]
        except KeyError:
            raise RecordRejected(
                Reason.UNKNOWN_NEIGHBOURHOOD, f"no neighbourhood is named {name!r}"
            ) from None

    def by_id_or_name(self, key: str) -> Neighbourhood:
        """A neighbourhood given by whoever sends the record, who may know its id or only its name."""
        found = self._by_id.get(key.strip()) or self._by_name.get(normalise_name(key))
        if found is None:
            raise RecordRejected(
                Reason.UNKNOWN_NEIGHBOURHOOD, f"no neighbourhood has the id or the name {key!r}"
            )
        return found

    def by_point(self, longitude: float, latitude: float) -> Neighbourhood:
        point = Point(longitude, latitude)
        for index in self._tree.query(point, predicate="intersects"):
            return self.all[int(index)]
        raise RecordRejected(
            Reason.UNPLACED, f"the point ({latitude}, {longitude}) lies in none of the neighbourhoods"
        )


class AreaLookup:
    """Areas that are not neighbourhoods (LSOAs, old wards, place names) to the neighbourhood each lies in.

    Read from a CSV table (``ENGAGE_AREA_LOOKUP_PATH``) with a header and at least the columns
    ``area`` (a code such as ``E01000842`` or a place name) and ``neighbourhood_id`` (an id of the
    configured boundaries); other columns are for the people who keep the table and are ignored.
    Areas compare like names (``normalise_name``), so ``e01000842`` and ``Kentish Town`` both match.
    An area stands for one neighbourhood: one that straddles two is given to the one holding most of it.
    """

    COLUMNS = ("area", "neighbourhood_id")

    def __init__(self, table: Mapping[str, Neighbourhood]) -> None:
        self._table = {normalise_name(area): neighbourhood for area, neighbourhood in table.items()}

    def __len__(self) -> int:
        return len(self._table)

    @classmethod
    def empty(cls) -> AreaLookup:
        return cls({})

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, str]], neighbourhoods: Neighbourhoods, where: str
    ) -> AreaLookup:
        table: dict[str, Neighbourhood] = {}
        for line, row in enumerate(rows, start=2):
            area = (row.get("area") or "").strip()
            neighbourhood_id = (row.get("neighbourhood_id") or "").strip()
            if not area or not neighbourhood_id:
                raise ConfigurationError(f"{where} line {line}: 'area' and 'neighbourhood_id' must be given")
            try:
                neighbourhood = neighbourhoods.by_id(neighbourhood_id)
            except RecordRejected:
                raise ConfigurationError(
                    f"{where} line {line}: no neighbourhood of the boundaries has id {neighbourhood_id!r}; "
                    "the look-up must be made for the boundaries in ENGAGE_BOUNDARIES_PATH "
                    "(set ENGAGE_AREA_LOOKUP_PATH to one that is, or to an empty value for none)"
                ) from None
            previous = table.setdefault(normalise_name(area), neighbourhood)
            if previous != neighbourhood:
                raise ConfigurationError(
                    f"{where} line {line}: area {area!r} is given to two neighbourhoods "
                    f"({previous.id} and {neighbourhood.id}); keep one"
                )
        return cls(table)

    @classmethod
    def load(cls, path: Path, neighbourhoods: Neighbourhoods) -> AreaLookup:
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in cls.COLUMNS if c not in (reader.fieldnames or ())]
                if missing:
                    raise ConfigurationError(
                        f"the area look-up {path} has no column {', '.join(missing)}; "
                        "its header must name 'area' and 'neighbourhood_id'"
                    )
                return cls.from_rows(reader, neighbourhoods, str(path))
        except (OSError, csv.Error) as exc:
            raise ConfigurationError(
                f"cannot read the area look-up {path}: {exc}; set ENGAGE_AREA_LOOKUP_PATH"
            ) from exc

    def place(self, area: str) -> Neighbourhood:
        try:
            return self._table[normalise_name(area)]
        except KeyError:
            raise RecordRejected(
                Reason.UNPLACED,
                f"area {area!r} is not in the area look-up (ENGAGE_AREA_LOOKUP_PATH); "
                "add it there if it lies in one of the neighbourhoods",
            ) from None
