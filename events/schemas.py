"""The JSON Schema of the envelope and of each payload, made from the pydantic models themselves.

They are what a partner system writes to send canonical events (``engage ingest --source canonical``)
and what a consumer of ``engage.events.v1`` can validate against. The committed copies in
``docs/schemas`` are kept equal to the models by a unit test; after changing a model, run

    python -m events.schemas --out docs/schemas      (or: engage schemas --out docs/schemas)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import get_args

from pydantic import BaseModel

from events.envelope import Envelope, Payload

DEFAULT_OUT = Path("docs") / "schemas"


def payload_models() -> tuple[type[BaseModel], ...]:
    """Every payload the envelope accepts, read from the ``Payload`` union, so none is forgotten."""
    union = get_args(Payload)[0]
    return tuple(get_args(union))


def schemas() -> dict[str, str]:
    """File name -> the schema's text (JSON, two-space indent, one trailing newline): stable, to diff."""
    texts = {}
    models: tuple[type[BaseModel], ...] = (Envelope, *payload_models())
    for model in models:
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema()}
        texts[f"{model.__name__}.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return texts


def write(out: Path) -> list[Path]:
    """Write every schema into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m events.schemas", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder to write (default docs/schemas)"
    )
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(path)


if __name__ == "__main__":
    main()
