"""``python -m streams worker``: the Faust worker with settings read once from the environment."""

from __future__ import annotations

from engage import logs
from engage.settings import Settings, relax_cycle_collector
from streams.app import create_app

logs.configure("info")
settings = Settings()
relax_cycle_collector(settings)
app = create_app(settings)

if __name__ == "__main__":
    app.main()
