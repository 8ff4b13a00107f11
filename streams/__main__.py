"""``python -m streams worker``: the Faust worker with settings read once from the environment."""

from __future__ import annotations

from engage import logs
from engage.settings import Settings
from streams.app import create_app

logs.configure("info")
app = create_app(Settings())

if __name__ == "__main__":
    app.main()
