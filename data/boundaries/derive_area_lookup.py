"""Derive an area look-up (``ENGAGE_AREA_LOOKUP_PATH``) from the polygons of smaller areas.

Each area (an LSOA, say) is given to the neighbourhood that holds the largest share of its polygon.
The table keeps that share, and whether the area's own reference point (the ``--point-lon`` and
``--point-lat`` properties, where the file has them) lies in the same neighbourhood, so that a
reader can see how clean the assignment is. How ``camden_lsoa11_wards_2011.csv`` was made is in
``SOURCE.txt`` beside this file.

    python data/boundaries/derive_area_lookup.py LSOA.geojson --name-prefix "Camden " \\
        > data/boundaries/camden_lsoa11_wards_2011.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape

from engage.settings import Settings


def derive(
    areas: dict[str, Any],
    wards: dict[str, Any],
    code_property: str,
    name_property: str,
    ward_id_property: str,
    ward_name_property: str,
    name_prefix: str,
    point_properties: tuple[str, str] | None,
) -> list[dict[str, str]]:
    neighbourhoods = [
        (
            str(f["properties"][ward_id_property]),
            str(f["properties"][ward_name_property]),
            shape(f["geometry"]),
        )
        for f in wards["features"]
    ]
    rows: list[dict[str, str]] = []
    for feature in areas["features"]:
        props = feature["properties"]
        name = str(props[name_property])
        if not name.startswith(name_prefix):
            continue
        polygon = shape(feature["geometry"])
        # Areas in degrees: only ratios within a few kilometres are compared, where they hold.
        share, ward_id, ward_name = max(
            (polygon.intersection(ward).area / polygon.area, ward_id, ward_name)
            for ward_id, ward_name, ward in neighbourhoods
        )
        point_agrees = ""
        if point_properties is not None:
            point = Point(float(props[point_properties[0]]), float(props[point_properties[1]]))
            holding = [wid for wid, _, ward in neighbourhoods if ward.covers(point)]
            point_agrees = "yes" if holding == [ward_id] else "no"
        rows.append(
            {
                "area": str(props[code_property]),
                "neighbourhood_id": ward_id,
                "area_name": name,
                "neighbourhood_name": ward_name,
                "share": f"{share:.3f}",
                "point_agrees": point_agrees,
            }
        )
    return sorted(rows, key=lambda row: row["area"])


def main() -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("areas", type=Path, help="GeoJSON of the small areas (WGS84)")
    parser.add_argument("--code-property", default="LSOA11CD")
    parser.add_argument("--name-property", default="LSOA11NM")
    parser.add_argument("--name-prefix", default="", help="keep only areas whose name starts so")
    parser.add_argument("--point-lon", default="LONG", help="property of the area's reference longitude")
    parser.add_argument("--point-lat", default="LAT", help="property of the area's reference latitude")
    args = parser.parse_args()
    areas = json.loads(args.areas.read_text(encoding="utf-8"))
    wards = json.loads(settings.boundaries_path.read_text(encoding="utf-8"))
    rows = derive(
        areas,
        wards,
        args.code_property,
        args.name_property,
        settings.boundary_id_property,
        settings.boundary_name_property,
        args.name_prefix,
        (args.point_lon, args.point_lat) if args.point_lon and args.point_lat else None,
    )
    writer = csv.DictWriter(
        sys.stdout,
        fieldnames=["area", "neighbourhood_id", "area_name", "neighbourhood_name", "share", "point_agrees"],
        lineterminator="\n",
    )
    writer.writeheader()
    writer.writerows(rows)


if __name__ == "__main__":
    main()
